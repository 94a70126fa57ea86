"""Model sanity helpers on real PyTorch (CPU) models.

A separate module, so that a missing torch skips only these tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import hyperflow as hf

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(200, 4))
Y_CLASS = (X[:, 0] + X[:, 1] > 0).astype(int)


def mlp(seed: int = 0, out: int = 2) -> Any:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, out))


def tensors() -> tuple[Any, Any]:
    return torch.tensor(X, dtype=torch.float32), torch.tensor(Y_CLASS, dtype=torch.long)


def test_torch_check_output() -> None:
    xt, _ = tensors()
    assert hf.testing.check_output(mlp(), xt, shape=(200, 2), dtype=torch.float32)
    r = hf.testing.check_output(mlp(out=3), xt, shape=(None, 2))
    assert not r and "shape (200, 3)" in r.message


def test_torch_loss_decreases_after_one_step() -> None:
    xt, yt = tensors()
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    r = hf.testing.loss_decreases(model, xt, yt, loss_fn=torch.nn.CrossEntropyLoss(), optimizer=opt)
    assert r.passed and r.details["after"] < r.details["before"]


def test_torch_frozen_model_is_caught() -> None:
    xt, yt = tensors()
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # a bug: the learning rate is zero
    loss = torch.nn.CrossEntropyLoss()
    assert not hf.testing.loss_decreases(model, xt, yt, loss_fn=loss, optimizer=opt)
    r = hf.testing.overfits_tiny_batch(model, xt, yt, loss_fn=loss, optimizer=opt, max_steps=20)
    assert not r.passed and r.details["steps"] == 20


def test_torch_overfits_tiny_batch() -> None:
    xt, yt = tensors()
    model = mlp()
    r = hf.testing.overfits_tiny_batch(
        model,
        xt,
        yt,
        size=8,
        loss_fn=torch.nn.CrossEntropyLoss(),
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
    )
    assert r.passed, r.message
    assert r.details["rows"] == 8 and r.details["loss"] <= 0.05 * r.details["start"]


def test_torch_needs_loss_and_optimizer() -> None:
    xt, yt = tensors()
    with pytest.raises(hf.TestingError, match="loss_fn= and optimizer="):
        hf.testing.loss_decreases(mlp(), xt, yt)

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


class _Seen(torch.nn.Module):
    """A linear model that records the device of every batch it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 2)
        self.devices: list[str] = []

    def forward(self, x: Any) -> Any:
        self.devices.append(x.device.type)
        return self.linear(x)


def test_numpy_inputs_go_to_the_models_device() -> None:
    model = mlp().to("meta")  # a device other than the CPU, without a GPU
    r = hf.testing.check_output(model, X, shape=(200, 2), dtype=torch.float32)
    assert r.passed, r.message
    seen = _Seen().to("meta")
    seen_y: list[str] = []

    def loss_fn(out: Any, y: Any) -> Any:
        seen_y.append(y.device.type)
        return torch.tensor(1.0, requires_grad=True)  # meta tensors hold no values

    opt = torch.optim.SGD(seen.parameters(), lr=0.1)
    hf.testing.loss_decreases(seen, X, Y_CLASS, loss_fn=loss_fn, optimizer=opt, steps=1)
    hf.testing.overfits_tiny_batch(seen, X, Y_CLASS, size=8, loss_fn=loss_fn, optimizer=opt)
    assert set(seen.devices) == {"meta"} and set(seen_y) == {"meta"}


def test_pandas_and_float64_inputs_match_the_model() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=list("abcd"))
    r = hf.testing.check_output(mlp(), frame, shape=(200, 2), dtype=torch.float32)
    assert r.passed, r.message
    model = mlp()
    r = hf.testing.loss_decreases(
        model,
        frame,
        pd.Series(Y_CLASS),
        loss_fn=torch.nn.CrossEntropyLoss(),
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
    )
    assert r.passed, r.message


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_model_with_numpy_inputs() -> None:
    model = mlp().cuda()
    assert hf.testing.check_output(model, X, shape=(200, 2), dtype=torch.float32)
    r = hf.testing.loss_decreases(
        model,
        X,
        Y_CLASS,
        loss_fn=torch.nn.CrossEntropyLoss(),
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
    )
    assert r.passed, r.message
    model = mlp().cuda()
    r = hf.testing.overfits_tiny_batch(
        model,
        X,
        Y_CLASS,
        size=8,
        loss_fn=torch.nn.CrossEntropyLoss(),
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
    )
    assert r.passed, r.message

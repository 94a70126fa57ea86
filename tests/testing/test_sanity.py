"""Model sanity helpers on real scikit-learn and PyTorch (CPU) models."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier, SGDRegressor
from sklearn.neural_network import MLPClassifier
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import hyperflow as hf

RNG = np.random.default_rng(0)
X = RNG.normal(size=(200, 4))
Y_CLASS = (X[:, 0] + X[:, 1] > 0).astype(int)
Y_REG = X @ np.array([1.0, -2.0, 0.5, 3.0])


# -- scikit-learn ------------------------------------------------------------------------
def test_check_output_on_classifier_and_regressor() -> None:
    r = hf.testing.check_output(LogisticRegression().fit(X, Y_CLASS), X, dtype=np.integer)
    assert r and r.details["proba_shape"] == [200, 2]
    r = hf.testing.check_output(LinearRegression().fit(X, Y_REG), X, shape=(None,))
    assert r.passed and r.details["dtype"] == "float64"


def test_check_output_catches_wrong_shape_dtype_and_nan() -> None:
    multi = LinearRegression().fit(X, np.c_[Y_REG, Y_REG])  # two outputs per row
    r = hf.testing.check_output(multi, X)
    assert not r and "shape (200, 2) != expected (200,)" in r.message
    r = hf.testing.check_output(LinearRegression().fit(X, Y_REG), X, dtype=np.integer)
    assert not r and "dtype float64 is not integer" in r.message
    corrupted = LinearRegression().fit(X, Y_REG)
    corrupted.coef_[2] = np.nan  # e.g. weights loaded from a broken checkpoint
    r = hf.testing.check_output(corrupted, X)
    assert not r and "200 outputs are NaN or infinite" in r.message


def test_loss_decreases_with_partial_fit_models() -> None:
    r = hf.testing.loss_decreases(SGDRegressor(random_state=0, eta0=0.001), X, Y_REG)
    assert r.passed and r.details["after"] < r.details["before"]
    clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0, learning_rate_init=0.01)
    assert hf.testing.loss_decreases(clf, X, Y_CLASS, steps=3)


def test_loss_does_not_decrease_without_learning() -> None:
    frozen = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=1e-12, random_state=0)
    r = hf.testing.loss_decreases(frozen, X, Y_CLASS)
    assert not r.passed
    assert "FAILED" in str(r)


def test_loss_decreases_needs_partial_fit() -> None:
    with pytest.raises(hf.TestingError, match="partial_fit"):
        hf.testing.loss_decreases(LinearRegression(), X, Y_REG)


def test_overfits_tiny_batch() -> None:
    assert hf.testing.overfits_tiny_batch(DecisionTreeClassifier(), X, Y_CLASS)
    assert hf.testing.overfits_tiny_batch(DecisionTreeRegressor(), X, Y_REG)
    r = hf.testing.overfits_tiny_batch(DummyClassifier(), X, Y_CLASS, size=10)
    assert not r.passed and r.details["rows"] == 10 and r.details["score"] < 1.0


# -- PyTorch (CPU) --------------------------------------------------------------------------
torch = pytest.importorskip("torch")


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

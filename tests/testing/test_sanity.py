"""Model sanity helpers on real scikit-learn models (PyTorch: test_sanity_torch.py)."""

from __future__ import annotations

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

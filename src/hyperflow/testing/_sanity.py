"""Model sanity checks before any behaviour: output shape/type, one step lowers the
loss, a tiny batch can be overfit. For scikit-learn estimators and PyTorch-style
training loops (a ``torch.nn.Module``, a loss function and an optimizer).

Each check returns a :class:`SanityResult` (truthy when it passed) rather than
raising, so it can be asserted in a test or recorded in a report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hyperflow._errors import TestingError
from hyperflow.testing import _sanity_torch as _torch
from hyperflow.testing._sanity_base import SanityResult, shape_ok

__all__ = ["SanityResult", "check_output", "loss_decreases", "overfits_tiny_batch"]


def _sklearn() -> Any:
    try:
        import sklearn.base
    except ImportError as exc:  # pragma: no cover - only without scikit-learn
        raise TestingError(
            "this check needs scikit-learn for scikit-learn models: pip install scikit-learn"
        ) from exc
    return sklearn.base


def check_output(
    model: Any, X: Any, *, shape: Sequence[int | None] | None = None, dtype: Any = None
) -> SanityResult:
    """Check a model's outputs on ``X``: shape, dtype, finite values, valid probabilities.

    Args:
        model: a fitted scikit-learn estimator or a ``torch.nn.Module``.
        X: a batch of inputs (array, DataFrame, or tensor for torch).
        shape: expected output shape, ``None`` for any size (default: one output
            per row, i.e. ``(len(X),)`` for scikit-learn, ``(len(X), ...)`` for torch).
        dtype: expected numpy dtype kind (``np.floating``, ``np.integer``, ``object``).

    Example:
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> X = np.arange(8.0).reshape(4, 2)
        >>> check_output(LinearRegression().fit(X, X[:, 0]), X, dtype=np.floating).passed
        True
    """
    if _torch.is_module(model):
        return _torch.check_output(model, X, shape=shape, dtype=dtype)
    if not hasattr(model, "predict"):
        raise TestingError(
            f"check_output() takes a scikit-learn estimator or a torch.nn.Module, but got "
            f"{type(model).__name__} without predict()"
        )
    out = np.asarray(model.predict(X))
    n = len(X)
    want = tuple(shape) if shape is not None else (n,)
    problems = []
    if not shape_ok(out.shape, want):
        problems.append(f"shape {out.shape} != expected {want}")
    if dtype is not None and not np.issubdtype(out.dtype, dtype):
        problems.append(f"dtype {out.dtype} is not {getattr(dtype, '__name__', dtype)}")
    if out.dtype.kind in "fc" and not np.isfinite(out).all():
        problems.append(f"{int((~np.isfinite(out)).sum())} outputs are NaN or infinite")
    details: dict[str, Any] = {"shape": list(out.shape), "dtype": str(out.dtype)}
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X))
        k = len(getattr(model, "classes_", proba[0]))
        details["proba_shape"] = list(proba.shape)
        if proba.shape != (n, k):
            problems.append(f"predict_proba shape {proba.shape} != ({n}, {k})")
        elif not np.allclose(proba.sum(axis=1), 1.0, atol=1e-6) or (proba < 0).any():
            problems.append("predict_proba rows are not probabilities (>= 0, summing to 1)")
    message = "; ".join(problems) or f"outputs of shape {out.shape}, dtype {out.dtype}"
    return SanityResult("check_output", not problems, message, details)


def _loss(model: Any, X: Any, y: Any) -> float:
    from sklearn.metrics import log_loss, mean_squared_error

    if _sklearn().is_classifier(model):
        if hasattr(model, "predict_proba"):
            return float(log_loss(y, model.predict_proba(X), labels=model.classes_))
        return float(np.mean(np.asarray(model.predict(X)) != np.asarray(y)))
    return float(mean_squared_error(y, model.predict(X)))


def loss_decreases(
    model: Any,
    X: Any,
    y: Any,
    *,
    loss_fn: Any = None,
    optimizer: Any = None,
    steps: int = 1,
    rtol: float = 1e-6,
) -> SanityResult:
    """Check that ``steps`` training steps lower the training loss on ``(X, y)``.

    scikit-learn: the estimator needs ``partial_fit``; a clone is fitted once
    (the starting point), then ``steps`` more times; the loss (log loss for
    probabilistic classifiers, error rate for others, MSE for regressors) must drop.
    PyTorch: ``loss_fn(model(X), y)`` before and after ``steps`` optimizer steps;
    the module is trained in place. The loss must drop by more than ``rtol``
    times its start (a change in the last digits is not learning).

    Example:
        >>> import numpy as np
        >>> from sklearn.linear_model import SGDRegressor
        >>> X = np.random.default_rng(0).normal(size=(64, 3)); y = X @ [1.0, 2.0, 3.0]
        >>> loss_decreases(SGDRegressor(random_state=0), X, y).passed
        True
    """
    if steps < 1:
        raise TestingError(f"loss_decreases(steps=...) must be >= 1, but got {steps}")
    if _torch.is_module(model):
        return _torch.loss_decreases(model, X, y, loss_fn, optimizer, steps, rtol)
    if not hasattr(model, "partial_fit"):
        raise TestingError(
            f"loss_decreases() needs a scikit-learn estimator with partial_fit (SGD*, MLP*, "
            f"...) or a torch.nn.Module, but {type(model).__name__} has no partial_fit"
        )
    base = _sklearn()
    m = base.clone(model)
    extra = {"classes": np.unique(np.asarray(y))} if base.is_classifier(m) else {}
    m.partial_fit(X, y, **extra)
    before = _loss(m, X, y)
    for _ in range(steps):
        m.partial_fit(X, y)
    after = _loss(m, X, y)
    return SanityResult(
        "loss_decreases",
        after < before * (1 - rtol),
        f"loss {before:.6g} -> {after:.6g} after {steps} step(s)",
        {"before": before, "after": after, "steps": steps},
    )


def overfits_tiny_batch(
    model: Any,
    X: Any,
    y: Any,
    *,
    size: int = 16,
    loss_fn: Any = None,
    optimizer: Any = None,
    max_steps: int = 500,
    ratio: float = 0.05,
    min_score: float | None = None,
) -> SanityResult:
    """Check that the model can fit the first ``size`` rows (almost) perfectly.

    A model that cannot memorize a handful of examples has a bug (frozen
    weights, a wrong target, a broken loss) or no capacity.
    scikit-learn: a clone fitted on the tiny batch must score at least
    ``min_score`` on it (default 1.0 accuracy for classifiers, R² 0.99 for regressors).
    PyTorch: at most ``max_steps`` optimizer steps must bring the loss to
    ``ratio`` times its start; the module is trained in place.

    Example:
        >>> import numpy as np
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> X = np.random.default_rng(0).normal(size=(16, 2))
        >>> overfits_tiny_batch(DecisionTreeClassifier(), X, X[:, 0] > 0).passed
        True
    """
    Xs, ys = X[:size], y[:size]
    if _torch.is_module(model):
        return _torch.overfits(model, Xs, ys, loss_fn, optimizer, max_steps, ratio)
    base = _sklearn()
    m = base.clone(model).fit(Xs, ys)
    classifier = base.is_classifier(m)
    target = min_score if min_score is not None else (1.0 if classifier else 0.99)
    score = float(m.score(Xs, ys))
    metric = "accuracy" if classifier else "R²"
    return SanityResult(
        "overfits_tiny_batch",
        score >= target,
        f"training {metric} {score:.4g} on {len(ys)} rows (needs >= {target:g})",
        {"score": score, "target": target, "rows": len(ys)},
    )

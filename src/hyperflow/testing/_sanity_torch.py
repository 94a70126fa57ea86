"""The PyTorch side of the sanity checks. torch is imported only when a module is checked."""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Sequence
from typing import Any

from hyperflow._errors import TestingError
from hyperflow.testing._sanity_base import SanityResult, shape_ok

__all__ = ["check_output", "is_module", "loss_decreases", "overfits"]


def _torch() -> Any:
    try:
        return importlib.import_module("torch")
    except ImportError as exc:  # pragma: no cover - only without torch
        raise TestingError(
            "PyTorch checks need torch; install the extra: pip install 'hyperflow[torch]'"
        ) from exc


def is_module(model: Any) -> bool:
    """Whether ``model`` is a ``torch.nn.Module`` (checked without importing torch)."""
    return any(c.__module__.startswith("torch.nn") and c.__name__ == "Module"
               for c in type(model).__mro__)  # fmt: skip


def _needs(loss_fn: Any, optimizer: Any, what: str) -> None:
    if loss_fn is None or optimizer is None:
        raise TestingError(
            f"{what}() on a torch.nn.Module needs loss_fn= and optimizer=, e.g. "
            "loss_fn=torch.nn.CrossEntropyLoss(), optimizer=torch.optim.Adam(model.parameters())"
        )


def _placement(model: Any) -> tuple[Any, Any]:
    """The device and floating dtype of the model's first parameter (or buffer), or Nones."""
    for t in itertools.chain(model.parameters(), model.buffers()):
        return t.device, (t.dtype if t.is_floating_point() else None)
    return None, None


def _tensor(x: Any, model: Any) -> Any:
    """``x`` as a tensor on the model's device: NumPy arrays and pandas objects are moved
    there (floating ones in the model's floating dtype); tensors are used as they are."""
    torch = _torch()
    if isinstance(x, torch.Tensor):
        return x
    if hasattr(x, "to_numpy"):  # pandas
        x = x.to_numpy(copy=True)
    t = torch.as_tensor(x)
    device, dtype = _placement(model)
    if dtype is not None and t.is_floating_point():
        t = t.to(dtype)
    return t if device is None else t.to(device)


def check_output(
    model: Any, X: Any, *, shape: Sequence[int | None] | None, dtype: Any
) -> SanityResult:
    torch = _torch()
    model.eval()
    with torch.no_grad():
        out = model(_tensor(X, model))
    got = tuple(out.shape)
    problems = []
    if shape is not None and not shape_ok(got, tuple(shape)):
        problems.append(f"shape {got} != expected {tuple(shape)}")
    elif shape is None and (not got or got[0] != len(X)):
        problems.append(f"shape {got} has no batch dimension of {len(X)}")
    if dtype is not None and out.dtype != dtype:
        problems.append(f"dtype {out.dtype} != expected {dtype}")
    if out.is_floating_point() and not out.is_meta and not bool(torch.isfinite(out).all()):
        problems.append("outputs contain NaN or infinite values")
    message = "; ".join(problems) or f"outputs of shape {got}, dtype {out.dtype}"
    return SanityResult(
        "check_output", not problems, message, {"shape": list(got), "dtype": str(out.dtype)}
    )


def _step(model: Any, X: Any, y: Any, loss_fn: Any, optimizer: Any) -> float:
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return float(loss.item())


def _loss(model: Any, X: Any, y: Any, loss_fn: Any) -> float:
    with _torch().no_grad():
        return float(loss_fn(model(X), y).item())


def loss_decreases(
    model: Any, X: Any, y: Any, loss_fn: Any, optimizer: Any, steps: int, rtol: float
) -> SanityResult:
    _needs(loss_fn, optimizer, "loss_decreases")
    X, y = _tensor(X, model), _tensor(y, model)
    model.train()
    before = _loss(model, X, y, loss_fn)
    for _ in range(steps):
        _step(model, X, y, loss_fn, optimizer)
    after = _loss(model, X, y, loss_fn)
    return SanityResult(
        "loss_decreases",
        after < before * (1 - rtol),
        f"loss {before:.6g} -> {after:.6g} after {steps} step(s)",
        {"before": before, "after": after, "steps": steps},
    )


def overfits(
    model: Any, X: Any, y: Any, loss_fn: Any, optimizer: Any, max_steps: int, ratio: float
) -> SanityResult:
    _needs(loss_fn, optimizer, "overfits_tiny_batch")
    X, y = _tensor(X, model), _tensor(y, model)
    model.train()
    start = _loss(model, X, y, loss_fn)
    target = ratio * start
    loss, steps = start, 0
    while steps < max_steps and loss > target:
        _step(model, X, y, loss_fn, optimizer)
        steps += 1
        loss = _loss(model, X, y, loss_fn)
    return SanityResult(
        "overfits_tiny_batch",
        loss <= target,
        f"loss {start:.6g} -> {loss:.6g} in {steps} step(s) on {len(y)} rows "
        f"(needs <= {target:.6g})",
        {"start": start, "loss": loss, "target": target, "steps": steps, "rows": len(y)},
    )

"""From ``pipeline.space`` to Optuna, define-by-run: variants first, then active parameters."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from hyperflow._errors import OptimizeError
from hyperflow.core import Bool, Choice, Float, Int, SearchSpace, Space

if TYPE_CHECKING:
    from optuna.trial import BaseTrial

__all__ = ["grid_of", "suggest_config"]


def _suggest(trial: BaseTrial, key: str, domain: Space) -> Any:
    if isinstance(domain, Choice):
        return trial.suggest_categorical(key, list(domain.options))
    if isinstance(domain, Bool):
        return trial.suggest_categorical(key, [False, True])
    if isinstance(domain, Int):
        return trial.suggest_int(key, domain.low, domain.high, step=domain.step, log=domain.log)
    if isinstance(domain, Float):
        return trial.suggest_float(key, domain.low, domain.high, step=domain.step, log=domain.log)
    raise OptimizeError(f"cannot search {key!r}: unsupported domain {domain!r}")


def suggest_config(
    trial: BaseTrial, space: SearchSpace, fixed: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Ask ``trial`` for every active key, in space order (a variant decides its parameters).

    ``fixed`` keys are not searched: their values are used as given.
    """
    fixed = fixed or {}
    config: dict[str, Any] = {}
    for key, param in space.items():
        if not param.active(config):
            continue
        config[key] = fixed[key] if key in fixed else _suggest(trial, key, param.domain)
    return config


def _values(key: str, domain: Space, limit: int) -> list[Any]:
    if isinstance(domain, Choice):
        return list(domain.options)
    if isinstance(domain, Bool):
        return [False, True]
    if isinstance(domain, Int) and not domain.log:
        values = list(range(domain.low, domain.high + 1, domain.step))
        if len(values) <= limit:
            return values
    if isinstance(domain, Float) and domain.step is not None:
        n = round((domain.high - domain.low) / domain.step) + 1
        if n <= limit:
            return [domain.low + i * domain.step for i in range(n)]
    raise OptimizeError(
        f"cannot build a grid over {key!r} ({domain.describe()}): give it explicitly, e.g. "
        f"optimize(..., sampler='grid', grid={{{key!r}: [...]}}), or fix it with fixed={{...}}"
    )


def grid_of(
    space: SearchSpace,
    grid: dict[str, list[Any]] | None = None,
    fixed: dict[str, Any] | None = None,
    limit: int = 50,
) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
    """The Optuna grid (every key's values) and the distinct *active* configurations in it.

    Inactive keys make grid points repeat; the distinct configurations tell how many
    trials cover the grid.
    """
    grid = dict(grid or {})
    fixed = fixed or {}
    for key in grid:
        space[key]  # raises a ConfigError naming the closest key
    full = {
        k: grid.get(k) or _values(k, p.domain, limit) for k, p in space.items() if k not in fixed
    }
    distinct: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}
    keys = list(full)
    for combo in itertools.product(*(full[k] for k in keys)):
        point = dict(zip(keys, combo, strict=True))
        point.update(fixed)
        config: dict[str, Any] = {}
        for key, param in space.items():
            if param.active(config):
                config[key] = point[key]
        distinct.setdefault(tuple(config.items()), config)
    return full, list(distinct.values())

"""Building the Optuna sampler and storage a study runs on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperflow._errors import OptimizeError
from hyperflow.core import Pipeline
from hyperflow.optimize._objective import Objective
from hyperflow.optimize._space import grid_of

if TYPE_CHECKING:
    import optuna
    from optuna.samplers import BaseSampler
    from optuna.storages import BaseStorage

__all__ = ["SAMPLERS", "build_sampler", "open_storage", "storage_url"]

SAMPLERS = ("tpe", "random", "grid", "nsga2", "cmaes", "qmc")


def storage_url() -> str:
    """The metadata store's database URL, where named studies are kept (resolved now)."""
    from hyperflow.store import resolve_store_url

    return resolve_store_url()


def open_storage(storage: str | BaseStorage | None, named: bool) -> BaseStorage:
    """The Optuna storage: in memory for an unnamed study, else the URL (default: the store's)."""
    import optuna

    if storage is None and not named:
        return optuna.storages.InMemoryStorage()
    if storage is None:
        storage = storage_url()
    if not isinstance(storage, str):
        return storage
    if storage.startswith("sqlite:///"):
        path = storage[len("sqlite:///") :]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return optuna.storages.RDBStorage(storage, engine_kwargs={"connect_args": {"timeout": 60}})
    return optuna.storages.RDBStorage(storage)


def _constraints(frozen: optuna.trial.FrozenTrial) -> list[float]:
    return list(frozen.user_attrs.get("hf_constraints") or [])


def build_sampler(
    sampler: str | BaseSampler,
    seed: int | None,
    objective: Objective,
    pipeline: Pipeline,
    grid: dict[str, list[Any]] | None,
    fixed: dict[str, Any],
) -> tuple[BaseSampler, list[dict[str, Any]]]:
    """The sampler, and the configurations to enqueue (a grid over a conditional space).

    An Optuna sampler instance is used as it is.
    """
    import optuna

    if not isinstance(sampler, str):
        return sampler, []
    # Optuna >= 5 reads constraints set on the trial (Trial.set_constraint);
    # older versions need constraints_func on the sampler
    native = hasattr(optuna.trial.Trial, "set_constraint")
    cf = _constraints if objective.constraints and not native else None
    samplers = optuna.samplers
    if sampler == "tpe":
        return samplers.TPESampler(seed=seed, constraints_func=cf), []
    if sampler == "random":
        return samplers.RandomSampler(seed=seed), []
    if sampler == "nsga2":
        return samplers.NSGAIISampler(seed=seed, constraints_func=cf), []
    if sampler == "cmaes":
        return samplers.CmaEsSampler(seed=seed), []
    if sampler == "qmc":
        return samplers.QMCSampler(seed=seed), []
    if sampler == "grid":
        return _grid(pipeline, grid, fixed, seed)
    raise OptimizeError(
        f"unknown sampler {sampler!r}; use one of {', '.join(SAMPLERS)} or an optuna sampler"
    )


def _grid(
    pipeline: Pipeline, grid: dict[str, list[Any]] | None, fixed: dict[str, Any], seed: int | None
) -> tuple[BaseSampler, list[dict[str, Any]]]:
    import optuna

    full, distinct = grid_of(pipeline.space, grid, fixed)
    size = 1
    for values in full.values():
        size *= len(values)
    if size == len(distinct):
        return optuna.samplers.GridSampler(full, seed=seed), distinct
    # conditional space: grid points differing only in inactive keys repeat;
    # enqueue each distinct configuration once instead
    return optuna.samplers.RandomSampler(seed=seed), distinct

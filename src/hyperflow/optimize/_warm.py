"""``warm_start=``: earlier good configurations queued as a search's first trials."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from hyperflow._errors import OptimizeError
from hyperflow.core import Pipeline

if TYPE_CHECKING:
    import optuna
    from optuna.storages import BaseStorage

    from hyperflow.optimize._trial import TrackSpec

__all__ = ["WARM_TOP", "WarmStart", "enqueue_warm", "warm_configs"]

WARM_TOP = 5
"""Configs taken from an earlier study: its best complete trials, at most this many."""

WarmStart: TypeAlias = "str | Sequence[str] | Sequence[Mapping[str, Any]] | None"
"""A ``warm_start=`` argument: a study name, tracked run ids, or configs."""


def _from_study(name: str, storage: BaseStorage) -> list[dict[str, Any]]:
    import optuna

    try:
        earlier = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        raise OptimizeError(
            f"warm_start study {name!r} is not in the storage; pass a study name that "
            "exists there (see `hyperflow studies`), tracked run ids, or configs"
        ) from None
    complete = earlier.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(earlier.directions) == 1:
        reverse = earlier.direction == optuna.study.StudyDirection.MAXIMIZE
        complete = sorted(complete, key=lambda t: t.values[0], reverse=reverse)
    return [dict(t.user_attrs.get("hf_config") or t.params) for t in complete[:WARM_TOP]]


def _from_runs(run_ids: Sequence[str], track: TrackSpec) -> list[dict[str, Any]]:
    from hyperflow.store import MetadataStore
    from hyperflow.tracking import runs

    store = track if isinstance(track, str | MetadataStore) else None
    return [dict(runs.get(run_id, store=store).config) for run_id in run_ids]


def warm_configs(
    warm_start: WarmStart,
    pipeline: Pipeline,
    storage: BaseStorage,
    track: TrackSpec,
) -> list[dict[str, Any]]:
    """The configs ``warm_start`` names, keyed by the pipeline's searched keys only."""
    if warm_start is None:
        return []
    if isinstance(warm_start, str):
        configs = _from_study(warm_start, storage)
    elif all(isinstance(w, str) for w in warm_start):
        configs = _from_runs([str(w) for w in warm_start], track)
    elif all(isinstance(w, Mapping) for w in warm_start):
        configs = [dict(w) for w in warm_start if isinstance(w, Mapping)]
    else:
        raise OptimizeError(
            "warm_start must be a study name, a list of run ids, or a list of config dicts"
        )
    space = pipeline.space
    out = []
    for cfg in configs:
        kept = {k: v for k, v in cfg.items() if k in space}
        for key, value in kept.items():
            space[key].domain.check(value, key=key)
        out.append(kept)
    return out


def enqueue_warm(
    ostudy: optuna.Study, configs: list[dict[str, Any]], fixed: Mapping[str, Any]
) -> int:
    """Queue each config (fixed keys left out) unless already queued; how many were."""
    n = 0
    for cfg in configs:
        params = {k: v for k, v in cfg.items() if k not in fixed}
        if params:
            ostudy.enqueue_trial(params, skip_if_exists=True)
            n += 1
    return n

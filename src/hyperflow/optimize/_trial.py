"""Running one trial: a pipeline run at a config, returning metrics (picklable, for workers)."""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from hyperflow._errors import NodeError
from hyperflow.core import Pipeline
from hyperflow.engine import single_flight
from hyperflow.optimize._fidelity import Fidelity
from hyperflow.optimize._objective import Expression
from hyperflow.optimize._report import Reporter, pruned_error, reporting

if TYPE_CHECKING:
    from hyperflow.engine import Cache
    from hyperflow.store import MetadataStore

__all__ = ["CacheSpec", "TrackSpec", "TrialOutcome", "TrialSpec", "run_trial"]

CacheSpec: TypeAlias = "Cache | str | os.PathLike[str] | bool | None"
"""A ``cache=`` argument: ``None``/``True`` (default cache), ``False`` (off), a folder
path, ``"memory"``, or a ``Cache`` instance (see ``hyperflow.engine.get_cache``)."""

TrackSpec: TypeAlias = "MetadataStore | str | bool | None"
"""A ``track=`` argument: ``None`` (track when a store is configured), ``False``,
``True``, a store URL, or a ``MetadataStore``."""


@dataclass(frozen=True)
class TrialSpec:
    """Everything a worker needs to run one trial (sent to it pickled).

    Attributes:
        pipeline: the pipeline searched.
        inputs: its inputs, the same for every trial.
        config: this trial's resolved config.
        metrics: the output holding the metrics.
        keep: extra outputs stored with the trial's tracked run.
        cache, track: as in ``Pipeline.run``.
        tags: tags of the trial's tracked run.
        reporter: where ``hf.report`` calls of this trial go (``None``: nowhere).
        fidelity: the input raised rung by rung (``None``: one run at ``inputs``).
    """

    pipeline: Pipeline
    inputs: Mapping[str, Any]
    config: Mapping[str, Any]
    metrics: str
    keep: tuple[str, ...] = ()
    cache: CacheSpec = None
    track: TrackSpec = None
    tags: Mapping[str, str] = field(default_factory=dict)
    reporter: Reporter | None = None
    fidelity: Fidelity | None = None
    rung_value: Expression | None = None  # the objective, reported at each lower rung
    single_flight: bool = False  # trials run side by side: compute shared misses once


@dataclass
class TrialOutcome:
    """What a worker sends back: metrics or the error, and the run's reports."""

    metrics: dict[str, float] | None
    run_id: str | None
    seconds: float
    cache_hits: dict[str, bool] = field(default_factory=dict)
    error: str | None = None
    pruned: bool = False
    pid: int = 0


def _metrics_of(value: Any, output: str) -> dict[str, float]:
    if isinstance(value, Mapping):
        out: dict[str, float] = {}
        for k, v in value.items():
            try:
                out[str(k)] = float(v)
            except (TypeError, ValueError):
                continue
        return out
    try:
        return {output: float(value)}
    except (TypeError, ValueError):
        raise TypeError(
            f"output {output!r} must be a dict[str, float] of metrics or a number, but got "
            f"{type(value).__name__}"
        ) from None


def _pruned(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) is Optuna's ``TrialPruned``."""
    from optuna.exceptions import TrialPruned

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TrialPruned):
            return True
        seen = seen.__cause__
    return False


def _run_id_of(exc: BaseException) -> str | None:
    """The tracked run of a failed pipeline run (``NodeError.result`` holds it)."""
    if isinstance(exc, NodeError) and exc.result is not None:
        run_id = exc.result.run_id
        return run_id if isinstance(run_id, str) else None
    return None


def _failure(exc: BaseException, run_id: str | None, t0: float) -> TrialOutcome:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return TrialOutcome(
        None,
        run_id,
        time.perf_counter() - t0,
        error=text,
        pruned=_pruned(exc),
        pid=os.getpid(),
    )


def _report_rung(spec: TrialSpec, metrics: Mapping[str, float], step: int) -> None:
    """Report a lower rung's objective; ``TrialPruned`` when the pruner stops the trial."""
    if spec.rung_value is None or spec.reporter is None:
        return
    value = spec.rung_value(metrics)
    if spec.reporter(value, step):
        raise pruned_error(f"pruned at fidelity {step} (objective {value:.6g})", value, step)


def run_trial(spec: TrialSpec) -> TrialOutcome:
    """Run ``spec.pipeline`` at ``spec.config``; a failing pipeline returns its error, never
    raises."""
    t0 = time.perf_counter()
    tags = dict(spec.tags) if spec.tags and spec.track is not False else None
    rungs = spec.fidelity.steps() if spec.fidelity is not None else [(None, 0)]
    run_id: str | None = None
    for i, (value, step) in enumerate(rungs):
        inputs = dict(spec.inputs)
        if spec.fidelity is not None:
            inputs[spec.fidelity.input] = value
        try:
            with reporting(spec.reporter), single_flight(spec.single_flight):
                result = spec.pipeline.run(
                    inputs=inputs,
                    config=dict(spec.config),
                    outputs=[spec.metrics, *spec.keep],
                    cache=spec.cache,
                    track=spec.track,
                    tags=tags,
                )
            run_id = result.run_id
            metrics = _metrics_of(result[spec.metrics], spec.metrics)
            if i < len(rungs) - 1:
                _report_rung(spec, metrics, step)
        except Exception as exc:  # reported back as the trial's failure (or pruning)
            return _failure(exc, _run_id_of(exc) or run_id, t0)
    return TrialOutcome(
        metrics,
        result.run_id,
        time.perf_counter() - t0,
        dict(result.cache_hits),
        pid=os.getpid(),
    )

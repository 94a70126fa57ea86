"""Running one trial: a pipeline run at a config, returning metrics (picklable, for workers)."""

from __future__ import annotations

import os
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hyperflow.core import Pipeline

__all__ = ["TrialOutcome", "run_trial"]


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


def run_trial(
    pipeline: Pipeline,
    inputs: Mapping[str, Any],
    config: Mapping[str, Any],
    metrics_output: str,
    keep: Sequence[str],
    cache: Any,
    track: Any,
    tags: Mapping[str, str],
) -> TrialOutcome:
    """Run ``pipeline`` at ``config``; a failing pipeline returns its error, never raises."""
    import time

    t0 = time.perf_counter()
    run_kwargs: dict[str, Any] = {"cache": cache, "track": track}
    if tags and track is not False:
        run_kwargs["tags"] = dict(tags)
    try:
        result = pipeline.run(
            inputs=dict(inputs), config=dict(config), outputs=[metrics_output, *keep], **run_kwargs
        )
        metrics = _metrics_of(result[metrics_output], metrics_output)
        return TrialOutcome(
            metrics,
            result.run_id,
            time.perf_counter() - t0,
            dict(result.cache_hits),
            pid=os.getpid(),
        )
    except Exception as exc:  # reported back as the trial's failure
        cause = exc.__cause__ or exc
        pruned = type(cause).__name__ == "TrialPruned"
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return TrialOutcome(
            None,
            getattr(exc, "run_id", None),
            time.perf_counter() - t0,
            error=text,
            pruned=pruned,
            pid=os.getpid(),
        )

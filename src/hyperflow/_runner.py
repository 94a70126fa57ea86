"""Where ``Pipeline.run`` is wired to the layers above the core (cache, tracking).

The core cannot import the engine or the store (layers point down), so
``Pipeline.run`` imports this module lazily; it is the one place that decides
which hooks a run gets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, cast

from hyperflow.core import Pipeline
from hyperflow.engine import Cache, RunHook, RunResult, execute_pipeline, get_cache

if TYPE_CHECKING:
    from hyperflow.store import MetadataStore

__all__ = ["run_pipeline"]


def run_pipeline(
    pipeline: Pipeline,
    *,
    inputs: Mapping[str, Any] | None,
    config: Mapping[str, Any] | None,
    outputs: str | Sequence[str] | None,
    executor: Executor | None,
    cache: bool | str | os.PathLike[str] | Cache | None,
    track: bool | str | MetadataStore | None,
    hooks: Sequence[RunHook],
    tags: Mapping[str, str] | None = None,
    parent_run: str | None = None,
) -> RunResult:
    all_hooks = list(hooks)
    tracker = _tracking_hook(track, tags, parent_run)
    if tracker is not None:
        all_hooks.append(tracker)
    result = execute_pipeline(
        pipeline,
        inputs=inputs,
        config=config,
        outputs=outputs,
        executor=executor,
        hooks=all_hooks,
        cache=get_cache(cache),
    )
    if tracker is None:
        from hyperflow.store import note_untracked

        note_untracked(result.run_id)
    return result


def _tracking_hook(
    track: bool | str | MetadataStore | None,
    tags: Mapping[str, str] | None,
    parent_run: str | None,
) -> RunHook | None:
    """``track``: None (on unless ``HYPERFLOW_TRACKING=off``), False, True, a URL or a store."""
    if track is False:
        return None
    if track is None:
        from hyperflow.store import tracking_default

        if not tracking_default():
            return None
        track = True
    from hyperflow.tracking import TrackingHook

    store = None if isinstance(track, bool) else track
    # TrackingHook follows the RunHook protocol without subclassing it (tracking
    # does not import the engine)
    return cast(RunHook, TrackingHook(store=store, parent=parent_run, tags=tags))

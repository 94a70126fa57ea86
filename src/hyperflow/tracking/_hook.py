"""``TrackingHook``: records every ``Pipeline.run`` as a tracked run."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from hyperflow.store import (
    ArtifactStore,
    MetadataStore,
    NodeRecord,
    get_artifact_store,
    get_store,
)
from hyperflow.tracking._active import ActiveRun, open_run
from hyperflow.tracking._pruned import PRUNED_METRIC, PRUNED_REPORT_ATTR, pruned_by

__all__ = ["TrackingHook"]

log = logging.getLogger("hyperflow.tracking")


def _end_pruned(run: ActiveRun, pruning: BaseException) -> None:
    """End ``run`` as ``pruned``, logging its last reported value (when one is known)."""
    report = getattr(pruning, PRUNED_REPORT_ATTR, None)
    try:
        if report is not None:
            step, value = report
            run.log_metrics({PRUNED_METRIC: float(value)}, step=int(step))
            run.set_tags({"hyperflow.pruned_step": step})
    finally:
        run.end("pruned", error=pruning)


def _seed(config: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
    if "seed" in inputs:
        return inputs["seed"]
    for key, value in config.items():
        if key == "seed" or key.endswith(".seed"):
            return value
    return None


class TrackingHook:
    """Record each run of a pipeline: config, node timings, lineage, metrics, outputs.

    It follows the ``hyperflow.engine.RunHook`` protocol (tracking does not import
    the engine: layers point down).

    The run id is the engine's run id (``RunResult.run_id``). Metrics come from an
    output named ``metrics`` holding a ``dict[str, float]``; every requested output
    is stored as an artifact when ``keep_outputs`` is true (default).

    Args:
        store: metadata store (``None``: the default store, resolved now).
        artifacts: artifact store (``None``: the default artifact root).
        parent: a parent run id (e.g. a study); default: the enclosing ``start_run``.
        keep_outputs: store requested outputs as artifacts.
    """

    #: asks the engine for ``code_versions`` and ``input_fingerprints`` in ``run_started``
    wants_lineage = True

    def __init__(
        self,
        store: MetadataStore | str | None = None,
        artifacts: ArtifactStore | str | None = None,
        *,
        parent: str | None = None,
        keep_outputs: bool = True,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        self.store = get_store(store)
        self.artifacts = get_artifact_store(artifacts)
        self.parent = parent
        self.keep_outputs = keep_outputs
        self.tags = dict(tags or {})
        self._runs: dict[str, ActiveRun] = {}
        self._nodes: dict[str, list[NodeRecord]] = {}
        self._versions: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def run_started(
        self,
        *,
        run_id: str,
        pipeline: Any,
        plan: Any,
        inputs: Mapping[str, Any],
        code_versions: Mapping[str, str] | None = None,
        input_fingerprints: Mapping[str, str] | None = None,
        **_: Any,
    ) -> None:
        versions = dict(code_versions or {})
        fps = dict(input_fingerprints or {})
        config = dict(plan.config)
        run = open_run(
            pipeline.name,
            pipeline=pipeline.name,
            parent_run=self.parent,
            params=config,
            tags=self.tags,
            config=config,
            lineage={"code_versions": versions, "inputs": fps, "outputs": list(plan.outputs)},
            seed=_seed(config, inputs),
            store=self.store,
            artifact_store=self.artifacts,
            run_id=run_id,
        )
        run.on_beat.append(lambda: self._flush(run_id))
        with self._lock:
            self._runs[run_id] = run
            self._nodes[run_id] = []
            self._versions[run_id] = versions

    def node_finished(
        self,
        *,
        run_id: str,
        key: str,
        seconds: float,
        cache_hit: bool,
        code_version: str | None = None,
        **_: Any,
    ) -> None:
        with self._lock:
            buf = self._nodes.get(run_id)
            if buf is None:
                return
            version = code_version or self._versions[run_id].get(key)
            buf.append(NodeRecord(key, seconds, cache_hit, version))

    def _flush(self, run_id: str) -> None:
        with self._lock:
            pending = self._nodes.get(run_id) or []
            self._nodes[run_id] = []
        if pending:
            self.store.log_nodes(run_id, pending)

    def run_finished(
        self, *, run_id: str, result: Any, error: BaseException | None, **_: Any
    ) -> None:
        run = self._runs.get(run_id)
        if run is None:
            return
        try:
            self._flush(run_id)
            if error is None:
                self._record_outputs(run, result)
        except Exception as exc:  # never lose the run's end because an output failed
            log.warning("run %s: could not record outputs: %s", run_id, exc)
        finally:
            pruning = pruned_by(error)
            if error is None:
                run.end("finished")
            elif pruning is not None:
                _end_pruned(run, pruning)
            else:
                run.end("failed", error=error, failed_node=getattr(result, "failed_node", None))
            with self._lock:
                self._runs.pop(run_id, None)
                self._nodes.pop(run_id, None)
                self._versions.pop(run_id, None)

    def _record_outputs(self, run: ActiveRun, result: Mapping[str, Any]) -> None:
        metrics = result.get("metrics") if "metrics" in result else None
        if isinstance(metrics, Mapping):
            numeric = {
                k: v
                for k, v in metrics.items()
                if isinstance(v, int | float) and not isinstance(v, bool) and v == v
            }
            if numeric:
                run.log_metrics(numeric, step=0)
        if not self.keep_outputs:
            return
        for name, value in result.items():
            try:
                run.log_artifact(value, name)
            except Exception as exc:
                log.warning("run %s: output %r not stored as an artifact: %s", run.id, name, exc)

"""``Service``: what one running app holds — the served model, hot reload, log, batcher and
the model's traffic policy (``_traffic``), refreshed by the same poll."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from typing import Any

from hyperflow._errors import ServeError
from hyperflow.registry import ModelSource, Predictor, StaticSource
from hyperflow.serve._batcher import MicroBatcher
from hyperflow.serve._metrics import ServeMetrics
from hyperflow.serve._peers import ReloadBroadcast
from hyperflow.serve._traffic import Traffic, traffic_for
from hyperflow.serve._writer import LogWriter

__all__ = ["Service", "freeze_heap", "resolve_source", "thaw_heap"]

_log = logging.getLogger("hyperflow.serve")


def freeze_heap() -> None:
    """Move every live object (the model, the libraries, the app) out of the cyclic GC's
    reach. Requests leave objects in the prediction log's queue long enough to trigger
    collections; a full one over a loaded model's heap stalled the event loop ~140 ms
    (a p99 spike) and takes under 1 ms once the heap is frozen. ``thaw_heap`` undoes it."""
    gc.collect()
    gc.freeze()


def thaw_heap() -> None:
    """Let the cyclic GC see the frozen objects again (the app stops, or a model was
    replaced: the old one may be cyclic garbage now)."""
    gc.unfreeze()


def resolve_source(model: str | Predictor | ModelSource) -> ModelSource:
    """``"name@alias"`` through the registry, a ``Predictor``, or any ``ModelSource``."""
    if isinstance(model, Predictor):
        return StaticSource(model)
    if isinstance(model, str):
        from hyperflow import registry

        source = getattr(registry, "source", None)
        if source is None:
            raise ServeError(
                f"cannot resolve {model!r}: this hyperflow has no registry lookups "
                "(hyperflow.registry.source); pass a Predictor or a ModelSource instead"
            )
        resolved: ModelSource = source(model)
        return resolved
    if isinstance(model, ModelSource):
        return model
    raise ServeError(
        "model must be 'name@alias', a hyperflow.registry.Predictor or a ModelSource, "
        f"but got {type(model).__name__}"
    )


class Service:
    """The served model and the machinery around it; one per app."""

    def __init__(
        self,
        source: ModelSource,
        *,
        metrics_factory: type[ServeMetrics] = ServeMetrics,
    ) -> None:
        self.source = source
        self.current_id = source.current()
        self.predictor: Predictor = source.load()
        self.metrics = metrics_factory(self.predictor.schema.output_type)
        self._announce()
        self.ready = False
        self.writer: LogWriter | None = None
        self.batcher: MicroBatcher | None = None
        self._reload_lock: asyncio.Lock | None = None
        self.broadcast: ReloadBroadcast | None = None
        """With ``--workers``: where ``/admin/reload`` tells the other workers (``_peers``)."""
        self.traffic: Traffic | None = traffic_for(source, self.metrics, lambda: self.writer)
        if self.traffic is not None:
            self._refresh_traffic()

    def _announce(self) -> None:
        p = self.predictor
        self.metrics.set_model(p.name, p.version, p.alias, p.code_version)

    def describe(self) -> dict[str, Any]:
        p = self.predictor
        from hyperflow import __version__

        routes = None if self.traffic is None else self.traffic.routes
        return {
            "model": p.name,
            "version": p.version,
            "alias": p.alias,
            "code_version": p.code_version,
            "source": self.current_id,
            "batchable": p.batchable,
            "hyperflow": __version__,
            "traffic": None if routes is None else routes.describe(),
            "pid": os.getpid(),  # which worker answered (``--workers N``)
        }

    def _refresh_traffic(self) -> bool:
        """Apply the model's traffic policy as stored now; a failure keeps the current one."""
        if self.traffic is None:
            return False
        try:
            return self.traffic.refresh(self.predictor)
        except Exception as exc:
            _log.warning(
                "hyperflow serve: reading the traffic policy of %s failed; keeping the current "
                "routes: %s: %s", self.predictor.name, type(exc).__name__, exc,
            )
            return False

    async def refresh_traffic(self) -> bool:
        """Re-read the traffic policy (off the event loop); whether the routes changed."""
        if self.traffic is None:
            return False
        return await asyncio.to_thread(self._refresh_traffic)

    async def reload(self, *, force: bool = False) -> bool:
        """Load what the source points to now if it changed (or always with ``force``), and
        re-read the model's traffic policy (even when loading failed); whether either changed.
        """
        try:
            changed = await self._reload_model(force=force)
        finally:
            routes_changed = await self.refresh_traffic()
        return changed or routes_changed

    async def _reload_model(self, *, force: bool) -> bool:
        """Load what the source points to now if it changed (or always with ``force``).

        In-flight requests keep the predictor they started with. A new version
        whose row schema differs, or that fails to load (e.g. an artifact hash
        mismatch), is refused and the current one stays.
        """
        if self._reload_lock is None:
            self._reload_lock = asyncio.Lock()
        async with self._reload_lock:
            current = await asyncio.to_thread(self.source.current)
            if current == self.current_id and not force:
                return False
            try:
                new = await asyncio.to_thread(self.source.load)
            except Exception as exc:
                self.metrics.reloads.labels("failed").inc()
                _log.warning(
                    "hyperflow serve: loading %s failed; still serving %s: %s: %s",
                    current,
                    self.predictor.version,
                    type(exc).__name__,
                    exc,
                )
                raise
            old = self.predictor.schema
            if new.schema.fields != old.fields or new.schema.output_type != old.output_type:
                self.metrics.reloads.labels("refused").inc()
                error = ServeError(
                    f"{current!r} has a different row schema ({dict(new.schema.fields)} -> "
                    f"{new.schema.output_type!r}) than the one served ({dict(old.fields)} -> "
                    f"{old.output_type!r}); start a new service for it"
                )
                _log.warning("hyperflow serve: reload refused: %s", error)
                raise error
            before = self.predictor.version
            self.predictor = new
            self.current_id = current
            self._announce()
            thaw_heap()  # the old model is collectable again; the new one joins the frozen
            await asyncio.to_thread(freeze_heap)
            self.metrics.reloads.labels("ok").inc()
            _log.info(
                "hyperflow serve: reloaded %s: %s -> %s (%s)",
                new.name,
                before,
                new.version,
                current,
            )
            return True

    async def poll(self, interval_s: float) -> None:
        """Reload whenever the source moves; errors are logged and polling goes on."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.reload()
            except Exception:  # already logged in one line by reload()
                _log.debug("hyperflow serve: reload failed", exc_info=True)

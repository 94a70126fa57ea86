"""A model's traffic policy inside one server: which version answers a request.

A server started on ``NAME@ALIAS`` keeps NAME's policy (``hf.registry.set_traffic``) as an
in-memory :class:`Routes` table, rebuilt by :meth:`Traffic.refresh` within the reload poll
(so a policy set from any process reaches every server); a request only reads the table.
The server's own alias is the arm ``"primary"`` (the service's predictor, which follows the
alias), every other weighted alias or version the arm ``"canary"`` (loaded once and kept
while the policy names it), and the shadow gets a copy of each request on a background
thread (:class:`ShadowWorker`: a bounded queue; when it is full the copy is dropped and
counted) whose answers are logged with arm ``"shadow"`` and never returned.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hyperflow._errors import ServeError
from hyperflow.registry import ModelSource, Predictor

if TYPE_CHECKING:
    from hyperflow.serve._context import CallTiming
    from hyperflow.serve._metrics import ServeMetrics
    from hyperflow.serve._writer import LogWriter
    from hyperflow.store import MetadataStore, TrafficPolicy

__all__ = [
    "ARM_CANARY",
    "ARM_PRIMARY",
    "ARM_SHADOW",
    "DEFAULT_ROUTED_TIMEOUT_S",
    "DEFAULT_SHADOW_QUEUE_SIZE",
    "Arm",
    "Routes",
    "ShadowWorker",
    "Traffic",
    "traffic_for",
]

ARM_PRIMARY, ARM_CANARY, ARM_SHADOW = "primary", "canary", "shadow"
DEFAULT_ROUTED_TIMEOUT_S = 30.0
"""A routed prediction slower than this is answered 504 (policy ``timeout_s`` overrides)."""
DEFAULT_SHADOW_QUEUE_SIZE = 1_000
_log = logging.getLogger("hyperflow.serve")


def _new_timing() -> CallTiming:
    from hyperflow.serve._context import CallTiming

    return CallTiming()


@dataclass(frozen=True)
class Arm:
    """One weighted arm: requests whose point in [0, 100) is below ``upper`` and above the
    previous arm's go here. ``predictor`` ``None``: the service's current predictor."""

    arm: str
    version: str
    upper: float
    predictor: Predictor | None
    timing: CallTiming = field(default_factory=_new_timing, compare=False)


def _point(value: Any) -> float:
    """A stable point in [0, 100) for a sticky value (the same in every process)."""
    digest = hashlib.blake2b(str(value).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 10_000 / 100.0


@dataclass(frozen=True)
class Routes:
    """The routing table of one policy, as resolved now (read by every request)."""

    policy: TrafficPolicy
    arms: tuple[Arm, ...]
    shadow: Predictor | None
    sticky_field: str | None
    sticky_header: str | None
    timeout_s: float

    def choose(self, row: Any, headers: Mapping[str, str]) -> Arm:
        """The arm of a request: by its sticky value's hash, else at random by weight."""
        value: Any = None
        if self.sticky_field is not None:
            value = row.get(self.sticky_field) if isinstance(row, dict) else getattr(
                row, self.sticky_field, None
            )
        elif self.sticky_header is not None:
            value = headers.get(self.sticky_header)
        point = random.random() * 100.0 if value is None else _point(value)
        for arm in self.arms:
            if point < arm.upper:
                return arm
        return self.arms[-1]

    def describe(self) -> dict[str, Any]:
        return {
            "weights": self.policy.weights,
            "arms": [{"arm": a.arm, "version": a.version} for a in self.arms],
            "shadow": self.policy.shadow,
            "sticky": self.policy.sticky,
        }


class ShadowWorker:
    """Runs shadow copies of requests on one background thread, off the response path.

    ``submit`` never blocks: beyond ``max_queue`` waiting copies, a copy is dropped and
    counted (``dropped``, and the ``hyperflow_shadow_dropped`` metric).
    """

    def __init__(
        self,
        writer: Callable[[], LogWriter | None],
        metrics: ServeMetrics,
        max_queue: int = DEFAULT_SHADOW_QUEUE_SIZE,
    ) -> None:
        self._writer = writer
        self._metrics = metrics
        self._queue: queue.Queue[tuple[Any, ...] | None] = queue.Queue(max_queue)
        self.dropped = 0
        self.done = 0
        self._thread = threading.Thread(target=self._loop, name="hyperflow-shadow", daemon=True)
        self._thread.start()

    def submit(self, predictor: Predictor, request_id: str, row: Any) -> None:
        try:
            self._queue.put_nowait((predictor, request_id, row, time.time()))
        except queue.Full:
            self.dropped += 1
            self._metrics.shadow_dropped.inc()

    def close(self, timeout_s: float = 10.0) -> None:
        """Finish the copies queued so far, then stop."""
        try:
            self._queue.put(None, timeout=timeout_s)
        except queue.Full:
            return
        self._thread.join(timeout_s)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self._run(*item)
            except Exception:  # the shadow must never take anything down
                _log.exception("hyperflow serve: a shadow prediction could not be recorded")

    def _run(self, p: Predictor, request_id: str, row: Any, at: float) -> None:
        t0 = time.perf_counter()
        try:
            value, status = p.predict_one(row, validate=False), 200
        except Exception as exc:
            value, status = None, 500
            _log.debug("hyperflow serve: shadow %s failed: %s", p.version, exc)
        took = time.perf_counter() - t0
        self._metrics.observe_arm(p.version, ARM_SHADOW, status, took)
        writer = self._writer()
        if writer is not None:
            writer.submit(
                request_id, p.name, p.version, at, took * 1000.0, row, value, ARM_SHADOW, status
            )
        self.done += 1


class Traffic:
    """The traffic policy of one server's model, kept in memory and refreshed by the poll.

    Args:
        name: the model; alias: the alias the server was started on (its primary arm).
        store: where the policy and the registry live.
        metrics: the service's metrics; writer: the service's log writer (when started).
    """

    def __init__(
        self,
        name: str,
        alias: str,
        store: MetadataStore,
        metrics: ServeMetrics,
        writer: Callable[[], LogWriter | None],
    ) -> None:
        self.name, self.alias, self.store = name, alias, store
        self.routes: Routes | None = None
        self._metrics = metrics
        self._writer = writer
        self._loaded: dict[str, Predictor] = {}
        self._signature: tuple[Any, ...] | None = None
        self._warned: tuple[Any, ...] | None = None
        self._shadow: ShadowWorker | None = None
        self._lock = threading.Lock()  # the poll and /admin/reload may refresh at once

    def shadow_copy(self, request_id: str, rows: list[Any], routes: Routes) -> None:
        """Queue a copy of each row for the shadow version (never blocks)."""
        if routes.shadow is None:
            return
        if self._shadow is None:
            self._shadow = ShadowWorker(self._writer, self._metrics)
        for i, row in enumerate(rows):
            rid = request_id if len(rows) == 1 else f"{request_id}-{i}"
            self._shadow.submit(routes.shadow, rid, row)

    @property
    def shadow_dropped(self) -> int:
        return 0 if self._shadow is None else self._shadow.dropped

    def close(self) -> None:
        if self._shadow is not None:
            self._shadow.close()
            self._shadow = None

    def refresh(self, primary: Predictor) -> bool:
        """Re-read the policy and rebuild the table if it or a version it names changed.

        Returns whether the table changed. A canary that cannot be loaded (or has another
        row schema) is logged and its share goes to the primary until a later refresh
        loads it.
        """
        with self._lock:
            return self._refresh(primary)

    def _resolve(self, key: str) -> str:
        """The version an alias or exact version of the policy names now."""
        from hyperflow.registry import SemVer, get

        try:
            SemVer.parse(key)
        except Exception:
            return get(f"{self.name}@{key}", store=self.store).version
        return get(f"{self.name}:{key}", store=self.store).version

    def _refresh(self, primary: Predictor) -> bool:
        from hyperflow.store import get_traffic_store

        policy = get_traffic_store(self.store).get(self.name)
        if policy is None:
            return self._set(None, None)
        resolved = {key: self._resolve(key) for key in policy.weights}
        shadow = self._resolve(policy.shadow) if policy.shadow else None
        signature = (policy, tuple(resolved.items()), shadow, primary.version, id(primary))
        if signature == self._signature:
            return False
        primary_key = self._primary_key(policy, resolved, primary)
        if primary_key is None:
            if self._warned != signature:
                self._warned = signature
                _log.warning(
                    "hyperflow serve: the traffic policy of %s (%s) does not name this server's "
                    "alias %r nor its version %s; it is not applied here",
                    self.name, policy.weights, self.alias, primary.version,
                )
            return self._set(None, signature)
        routes, complete = self._build(policy, resolved, shadow, primary_key, primary)
        return self._set(routes, signature if complete else None)

    def _primary_key(
        self, policy: TrafficPolicy, resolved: dict[str, str], primary: Predictor
    ) -> str | None:
        if self.alias in policy.weights:
            return self.alias
        return next((k for k, v in resolved.items() if v == primary.version), None)

    def _build(
        self,
        policy: TrafficPolicy,
        resolved: dict[str, str],
        shadow: str | None,
        primary_key: str,
        primary: Predictor,
    ) -> tuple[Routes, bool]:
        arms: list[Arm] = []
        upper, complete = 0.0, True
        for key, weight in policy.weights.items():
            if weight <= 0:
                continue
            upper += weight
            version = resolved[key]
            loaded = None if key == primary_key else self._load(version, primary)
            if key != primary_key and loaded is None:
                complete = False
            if loaded is None:
                arms.append(Arm(ARM_PRIMARY, primary.version or "", upper, None))
            else:
                arms.append(Arm(ARM_CANARY, version, upper, loaded))
        shadow_p = None if shadow is None else self._load(shadow, primary)
        complete = complete and (shadow is None or shadow_p is not None)
        fields = primary.schema.fields
        sticky = policy.sticky
        routes = Routes(
            policy,
            tuple(arms),
            shadow_p,
            sticky if sticky is not None and sticky in fields else None,
            sticky.lower() if sticky is not None and sticky not in fields else None,
            policy.timeout_s or DEFAULT_ROUTED_TIMEOUT_S,
        )
        return routes, complete

    def _load(self, version: str, primary: Predictor) -> Predictor | None:
        """The predictor of ``version`` (cached); ``None`` when it cannot serve here."""
        if version == primary.version:
            return primary
        found = self._loaded.get(version)
        if found is not None:
            return found
        from hyperflow.registry import load

        try:
            p = load(f"{self.name}:{version}", store=self.store)
            if not isinstance(p, Predictor):
                raise ServeError("it is a service with several endpoints, not a model")
            if p.schema.fields != primary.schema.fields:
                raise ServeError(
                    f"its row schema {dict(p.schema.fields)} differs from the served one "
                    f"{dict(primary.schema.fields)}"
                )
        except Exception as exc:
            self._metrics.reloads.labels("failed").inc()
            _log.warning(
                "hyperflow serve: the traffic policy of %s names %s, which cannot be served "
                "here; its share goes to %s: %s: %s",
                self.name, version, primary.version, type(exc).__name__, exc,
            )
            return None
        self._loaded[version] = p
        return p

    def _set(self, routes: Routes | None, signature: tuple[Any, ...] | None) -> bool:
        changed = routes != self.routes
        self.routes = routes
        self._signature = signature
        keep: set[str | None] = set()
        if routes is not None:
            keep = {a.version for a in routes.arms if a.predictor is not None}
            keep.add(None if routes.shadow is None else routes.shadow.version)
        for version in [v for v in self._loaded if v not in keep]:
            del self._loaded[version]  # unloaded: the policy no longer names it
        if changed:
            summary = "none" if routes is None else routes.describe()
            _log.info("hyperflow serve: traffic of %s: %s", self.name, summary)
        return changed


def traffic_for(
    source: ModelSource, metrics: ServeMetrics, writer: Callable[[], LogWriter | None]
) -> Traffic | None:
    """The ``Traffic`` of a server whose source follows a registry alias; ``None`` otherwise
    (a ``Predictor``, a pinned version or another source has no policy to apply)."""
    from hyperflow.registry import RegistrySource

    if not isinstance(source, RegistrySource) or source.version is not None:
        return None
    return Traffic(source.name, source.alias or "latest", source.store, metrics, writer)

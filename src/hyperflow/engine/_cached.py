"""Cache bookkeeping of one plan execution: keys, hits, lazily loaded values.

A node's key is ``xxh3_128(code version, tunable values, (param, input
fingerprint)...)``. On a hit only the stored fingerprint of the value is read:
the value itself is loaded when something needs it (a node that must run, or
a requested output), so a chain of hits loads one value, not all of them. A
value whose entry turns out corrupt or evicted when it is loaded is
recomputed from its own inputs (loaded or recomputed the same way).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from time import perf_counter
from typing import Any

import xxhash

from hyperflow._errors import FingerprintError
from hyperflow.core import NestedStep, Step
from hyperflow.engine._cache import Cache
from hyperflow.engine._codeversion import node_version
from hyperflow.engine._fingerprint import digest

__all__ = ["CacheState"]

log = logging.getLogger("hyperflow.cache")


class CacheState:
    """Fingerprints, deferred values and keys of one ``Execution.run`` call."""

    __slots__ = ("cache", "compute", "deferred", "failed", "fps", "values")

    def __init__(
        self,
        cache: Cache,
        values: dict[str, Any],
        compute: Callable[[Step, dict[str, Any]], Any],
    ) -> None:
        self.cache = cache
        self.values = values
        self.compute = compute  # runs a step's function with kwargs, returns its value
        self.fps: dict[str, bytes] = {}
        self.deferred: dict[str, tuple[Step, str]] = {}
        self.failed: set[str] = set()

    def fp(self, name: str) -> bytes:
        d = self.fps.get(name)
        if d is None:
            d = self.fps[name] = digest(self.values[name])
        return d

    def key(self, step: Step, version: str) -> str | None:
        """The step's cache key; ``None`` (run uncached) when an input has no fingerprint."""
        h = xxhash.xxh3_128(version.encode())
        fp = self.fp
        try:
            if step.consts:
                h.update(b"\x00c" + digest(step.consts))
            for p, src in step.args:
                h.update(b"\x00a" + p.encode() + b"=" + fp(src))
        except FingerprintError as exc:
            log.warning("node %r runs uncached: %s", step.node.key, exc)
            return None
        return h.hexdigest()

    def version(self, step: Step) -> str:
        node = step.node
        return node_version(node.func, node.version)

    def hit(self, step: Step, key: str | None) -> bool:
        """Record a hit (value deferred) and return True, or return False on a miss."""
        if key is None:
            return False
        found = self.cache.lookup(key)
        if found is None:
            return False
        out = step.node.provides[0]
        self.fps[out] = bytes.fromhex(found)
        self.deferred[out] = (step, key)
        return True

    def save(self, step: Step, key: str | None, value: Any) -> None:
        if key is None:
            return
        try:
            d = digest(value)
        except FingerprintError as exc:
            log.warning("output of node %r is not cached: %s", step.node.key, exc)
            return
        self.fps[step.node.provides[0]] = d
        self.cache.save(key, value, d.hex())

    def kwargs(self, step: Step | NestedStep) -> dict[str, Any]:
        """The step's arguments, loading deferred values first."""
        values = self.values
        missing = [src for _, src in step.args if src not in values]
        if missing:
            self.materialize(missing)
        return step.kwargs(values)

    def materialize(self, names: list[str]) -> None:
        """Make every name in ``names`` available in ``values`` (load, else recompute)."""
        values = self.values
        stack = [n for n in names if n not in values]
        while stack:
            name = stack[-1]
            if name in values:
                stack.pop()
                continue
            step, key = self.deferred[name]
            if name not in self.failed:
                try:
                    values[name] = self.cache.load(key)
                    stack.pop()
                    continue
                except KeyError:
                    self.failed.add(name)
                    log.warning("cached value of %r could not be loaded; recomputing it", name)
            need = [src for _, src in step.args if src not in values]
            if need:
                stack.extend(need)
                continue
            t0 = perf_counter()
            value = self.compute(step, step.kwargs(values))
            log.debug("recomputed %r in %.3fs", name, perf_counter() - t0)
            values[name] = value
            self.save(step, key, value)
            stack.pop()

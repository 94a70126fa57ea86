"""A response cache for repeated requests to a deterministic predict pipeline.

Off by default; turned on per served model (``create_app(cache=...)``,
``hyperflow serve --cache``) when the same row always gets the same prediction.
An entry's key is the model, its version and the canonical request row (the
validated row as sorted-key JSON, hashed), so a moved alias never answers from
the old version: ``ServedCache`` drops the previous version's entries the first
time it sees a new one. Hits are still logged (their ``request_id`` ends with
``CACHED_SUFFIX``) and counted in ``/metrics``.

Backends implement ``ResponseCache``: ``MemoryCache`` (an in-process LRU, one
per worker) and ``RedisCache`` (``redis://``, shared by workers and replicas).
``get_response_cache`` resolves ``None | "memory" | "memory://?size=N" |
"redis://..." | instance``.
"""

from __future__ import annotations

import abc
import hashlib
import json
import logging
import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hyperflow._errors import ServeError

__all__ = [
    "CACHED_SUFFIX",
    "DEFAULT_CACHE_SIZE",
    "DEFAULT_CACHE_TTL_S",
    "MemoryCache",
    "RedisCache",
    "ResponseCache",
    "ServedCache",
    "get_response_cache",
]

CACHED_SUFFIX = "-cached"
"""Ends the ``request_id`` of a prediction answered from the cache (in the response and log)."""
DEFAULT_CACHE_SIZE = 10_000
DEFAULT_CACHE_TTL_S = 24 * 3600
_log = logging.getLogger("hyperflow.serve")


class ResponseCache(abc.ABC):
    """Contract of a response cache backend.

    * Entries live in a ``scope`` (one model version: ``"name:version"``); ``get``
      returns what ``put`` stored under the same scope and key, or ``None``.
    * ``drop(scope)`` forgets every entry of that scope; other scopes stay.
    * Safe to call from several threads. A backend may evict or expire entries at
      any time (a miss is always a correct answer); it never returns another
      key's value.
    """

    @abc.abstractmethod
    def get(self, scope: str, key: str) -> str | None:
        """The stored text, or ``None``."""

    @abc.abstractmethod
    def put(self, scope: str, key: str, value: str) -> None:
        """Store ``value`` (JSON text) under ``scope``/``key``."""

    @abc.abstractmethod
    def drop(self, scope: str) -> None:
        """Forget every entry of ``scope``."""

    def close(self) -> None:  # noqa: B027 - optional
        """Release connections (default: nothing to release)."""


class MemoryCache(ResponseCache):
    """An in-process LRU of at most ``max_entries`` entries (one per worker process).

    Example:
        >>> c = MemoryCache(max_entries=2)
        >>> c.put("m:1", "a", "1"); c.put("m:1", "b", "2"); c.put("m:1", "c", "3")
        >>> c.get("m:1", "a"), c.get("m:1", "c")
        (None, '3')
    """

    def __init__(self, max_entries: int = DEFAULT_CACHE_SIZE) -> None:
        if max_entries < 1:
            raise ServeError(f"cache size must be >= 1, but got {max_entries}")
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, scope: str, key: str) -> str | None:
        with self._lock:
            value = self._items.get((scope, key))
            if value is not None:
                self._items.move_to_end((scope, key))
            return value

    def put(self, scope: str, key: str, value: str) -> None:
        with self._lock:
            self._items[(scope, key)] = value
            self._items.move_to_end((scope, key))
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def drop(self, scope: str) -> None:
        with self._lock:
            for k in [k for k in self._items if k[0] == scope]:
                del self._items[k]


class RedisCache(ResponseCache):
    """Entries in Redis (``redis://host:port/db``), shared by every worker and replica.

    Keys are ``{prefix}{scope}:{key}`` and expire after ``ttl_s`` seconds.
    """

    def __init__(
        self, url: str, *, ttl_s: int = DEFAULT_CACHE_TTL_S, prefix: str = "hyperflow:cache:"
    ) -> None:
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ServeError(
                "a Redis cache needs redis-py: pip install 'hyperflow[redis]'"
            ) from exc
        self.url, self.ttl_s, self.prefix = url, ttl_s, prefix
        self._client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            self._client.ping()
        except redis.RedisError as exc:
            raise ServeError(f"cannot reach the Redis cache at {url}: {exc}") from None

    def get(self, scope: str, key: str) -> str | None:
        value = self._client.get(f"{self.prefix}{scope}:{key}")
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    def put(self, scope: str, key: str, value: str) -> None:
        self._client.set(f"{self.prefix}{scope}:{key}", value, ex=self.ttl_s)

    def drop(self, scope: str) -> None:
        pattern = f"{self.prefix}{scope}:*"
        batch: list[Any] = []
        for name in self._client.scan_iter(match=pattern, count=1000):
            batch.append(name)
            if len(batch) >= 1000:
                self._client.delete(*batch)
                batch = []
        if batch:
            self._client.delete(*batch)

    def close(self) -> None:
        self._client.close()


def get_response_cache(cache: str | ResponseCache | None) -> ResponseCache | None:
    """``None`` (no cache), ``"memory"``/``"memory://?size=N"``, ``"redis://..."``, or a backend."""
    if cache is None or isinstance(cache, ResponseCache):
        return cache
    if not isinstance(cache, str):
        raise ServeError(f"cache must be a URL or a ResponseCache, but got {type(cache).__name__}")
    parts = urlsplit(cache)
    if cache == "memory" or parts.scheme == "memory":
        size = parse_qs(parts.query).get("size", [str(DEFAULT_CACHE_SIZE)])[0]
        if not size.isdigit():
            raise ServeError(f"cache size must be a whole number, but got {size!r} in {cache!r}")
        return MemoryCache(int(size))
    if parts.scheme in ("redis", "rediss", "unix"):
        return RedisCache(cache)
    raise ServeError(
        f"unknown cache {cache!r}: use 'memory' (one per worker) or 'redis://HOST:PORT/DB' "
        "(shared by workers)"
    )


def _default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    return repr(value)


def row_key(row: Any) -> str:
    """The canonical key of a validated row: sorted-key JSON, hashed (sha256)."""
    text = json.dumps(row, default=_default, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class ServedCache:
    """The cache as a served model uses it: scoped to the version being served.

    The first lookup for a new version drops the entries of the version served
    before it (in this backend, so every worker sharing Redis loses them too).
    Backend errors are logged and count as misses: the cache never fails a request.
    """

    def __init__(self, backend: ResponseCache) -> None:
        self.backend = backend
        self._scope: str | None = None

    def _scope_of(self, model: str, version: str | None) -> str:
        scope = f"{model}:{version or ''}"
        if scope != self._scope:
            previous, self._scope = self._scope, scope
            if previous is not None:
                self._safely(self.backend.drop, previous)
        return scope

    def _safely(self, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except Exception as exc:  # a cache outage is a miss, not a failed request
            _log.warning("hyperflow serve: response cache: %s: %s", type(exc).__name__, exc)
            return None

    def get(self, model: str, version: str | None, row: Any) -> tuple[str, Any | None]:
        """``(key, cached JSON text or None)`` for ``row`` under ``model``'s ``version``."""
        key = row_key(row)
        return key, self._safely(self.backend.get, self._scope_of(model, version), key)

    def put(self, model: str, version: str | None, key: str, value: str) -> None:
        self._safely(self.backend.put, self._scope_of(model, version), key, value)

    def close(self) -> None:
        self._safely(self.backend.close)

"""Small guards of the serving gate: tokens, request ids, issued ids, per-client rate limits."""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import OrderedDict

from hyperflow._ids import random_id

__all__ = ["IssuedIds", "RateLimiter", "new_request_id", "token_matches"]


def token_matches(header: bytes | str | None, token: str) -> bool:
    """Constant-time check of an ``Authorization: Bearer <token>`` header.

    The scheme is case-insensitive (RFC 9110 section 11.1); the token is not.

    Example:
        >>> token_matches(b"bearer s3cret", "s3cret"), token_matches(b"Bearer nope", "s3cret")
        (True, False)
    """
    given = header.encode("latin-1") if isinstance(header, str) else (header or b"")
    scheme, _, credentials = given.strip().partition(b" ")
    ok_scheme = scheme.lower() == b"bearer"
    ok_token = hmac.compare_digest(credentials.strip(), token.encode())
    return ok_scheme and ok_token


def new_request_id() -> str:
    """An unguessable request id: 128 random bits (OS CSPRNG) as 32 hex characters.

    Drawn from ``hyperflow._ids.random_id``, the one id generator (pooled reads,
    fresh in forked workers).

    Example:
        >>> a, b = new_request_id(), new_request_id()
        >>> len(a), a != b
        (32, True)
    """
    return random_id()


class IssuedIds:
    """Request ids this process answered, remembered until they expire (for ``/feedback``).

    Holds at most ``capacity`` ids (the oldest are forgotten first); an id that is
    forgotten or was issued by another process is looked up in the prediction log.

    Example:
        >>> ids = IssuedIds(ttl_s=60.0)
        >>> ids.add(["a"]); ids.known("a"), ids.known("b")
        (True, False)
    """

    def __init__(self, ttl_s: float | None, capacity: int = 200_000) -> None:
        self.ttl_s = math.inf if ttl_s is None else ttl_s
        self.capacity = capacity
        self._ids: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, request_ids: list[str]) -> None:
        now = time.monotonic()
        with self._lock:
            for rid in request_ids:
                self._ids[rid] = now
            while len(self._ids) > self.capacity:
                self._ids.popitem(last=False)

    def known(self, request_id: str) -> bool:
        """Issued here and not expired (expired ids are dropped as a side effect)."""
        now = time.monotonic()
        with self._lock:
            while self._ids:
                oldest, at = next(iter(self._ids.items()))
                if now - at <= self.ttl_s:
                    break
                del self._ids[oldest]
            return request_id in self._ids


class RateLimiter:
    """A token bucket per client: ``rate`` requests per second, bursts up to ``burst``.

    Example:
        >>> limiter = RateLimiter(rate=1.0, burst=2)
        >>> [limiter.wait_s("10.0.0.1") == 0 for _ in range(3)]
        [True, True, False]
    """

    def __init__(self, rate: float, burst: int | None = None, max_clients: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(burst if burst is not None else max(1, math.ceil(rate)))
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def wait_s(self, client: str) -> float:
        """0 when the request may go on (a token is spent), else seconds until one is free."""
        now = time.monotonic()
        tokens, at = self._buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait

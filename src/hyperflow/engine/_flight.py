"""Single-flight: concurrent runs needing one uncached node compute it once.

While ``single_flight()`` is on (``optimize`` turns it on in every trial), a run that
misses a disk-cache entry takes an exclusive lock on ``<cache>/<key[:2]>/.<key>.lock``
before computing it. Other processes, or threads, that miss the same entry meanwhile
wait on that lock, then find the signed entry the first one stored and load it (its
signature is verified as for any hit). A holder that dies releases its lock with
its process; one whose node fails stores nothing and the next waiter computes.
Without ``fcntl`` (Windows) or for a memory cache nothing is locked.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextvars import ContextVar

from hyperflow.engine._cache import Cache, DiskCache

if sys.platform != "win32":
    import fcntl

__all__ = ["Flight", "claim", "flying", "single_flight"]

_ON: ContextVar[bool] = ContextVar("hyperflow_single_flight", default=False)
_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


@contextlib.contextmanager
def single_flight(on: bool = True) -> Iterator[None]:
    """Within the block, cache misses of this context are computed once across processes."""
    token = _ON.set(on)
    try:
        yield
    finally:
        _ON.reset(token)


def flying() -> bool:
    """Whether single-flight is on in this context."""
    return _ON.get()


class Flight:
    """The lock on one cache key, held while its value is computed and stored."""

    __slots__ = ("fd",)

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def release(self) -> None:
        if self.fd < 0 or sys.platform == "win32":
            return
        fd, self.fd = self.fd, -1
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def claim(cache: Cache, key: str) -> Flight | None:
    """Wait until this context owns ``key`` (``None``: single-flight is off or unsupported)."""
    if sys.platform == "win32" or not _ON.get() or not isinstance(cache, DiskCache):
        return None
    if cache._signing_key() is None:  # a refused folder: the cache is not used at all
        return None
    folder = cache.path / key[:2]
    lock = f"{folder}/.{key}.lock"
    try:
        try:
            fd = os.open(lock, _FLAGS, 0o600)
        except FileNotFoundError:
            cache._make_folder(folder)
            fd = os.open(lock, _FLAGS, 0o600)
    except OSError:  # read-only cache, a symlink planted there: compute without the lock
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return Flight(fd)

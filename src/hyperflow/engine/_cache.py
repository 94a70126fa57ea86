"""Content-addressed result caches: one contract, an in-memory and an on-disk store.

An entry maps a key (32 hex characters, made by the engine from a node's code
version, parameters and input fingerprints) to a value and the value's own
fingerprint, so a hit needs no re-hashing and downstream keys are known
without loading the value.

Entries are pickles, and unpickling runs code, so every entry is signed with
a secret this user alone holds (see ``_cache_trust``): an HMAC-SHA256 of the
payload, and one of the header (fingerprint, length, payload HMAC and the
entry's key). An entry that was forged, tampered with, moved to another key or
signed with another secret is refused before anything is unpickled, and
recomputed.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import pickle
import struct
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import OrderedDict
from pathlib import Path
from typing import Any

from hyperflow._errors import CacheError
from hyperflow._tempfiles import TEMP_GRACE_S, files_in, remove_stale, sweep_now_and_then
from hyperflow.engine._cache_trust import check_folder, user_key

__all__ = ["Cache", "DiskCache", "MemoryCache"]

log = logging.getLogger("hyperflow.cache")

_MAGIC = b"HFC2"
_OLD_MAGICS = (b"HFC1",)  # unsigned entries of earlier versions: dropped quietly, recomputed
# magic, value fingerprint, payload length, HMAC of the payload; then the header's own HMAC
# (of these fields and the entry's key, so an entry cannot be moved to another key)
_BODY = struct.Struct("<4s16sQ32s")
_SIGNED = _BODY.size
_HEAD = _SIGNED + 32
_MAX_KNOWN = 1_000_000
_O_RDONLY = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_SWEPT = ".swept"  # marker file: when temporary files were last swept


def _mac(key: bytes, data: bytes | memoryview) -> bytes:
    return hmac.digest(key, data, "sha256")


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def _serialize(value: Any) -> bytes | None:
    try:
        return pickle.dumps(value, protocol=5)
    except Exception:
        pass
    try:
        import cloudpickle

        return bytes(cloudpickle.dumps(value, protocol=5))
    except Exception as exc:
        log.warning(
            "value of type %s cannot be pickled, so it is not cached: %s: %s",
            type(value).__qualname__,
            type(exc).__name__,
            exc,
        )
        return None


class Cache(ABC):
    """A store of node results by content key.

    Contract (checked by the conformance suite in ``tests/engine/test_cache_stores.py``):

    * ``save(key, value, fingerprint)`` writes atomically: a reader sees the
      whole entry or none; it returns ``False`` when the value cannot be pickled.
    * ``lookup(key)`` returns the stored fingerprint (hex) or ``None``; it is
      cheap and does not read the value.
    * ``load(key)`` returns an equal copy of the saved value. A missing, corrupt,
      truncated or forged entry raises ``KeyError``; a corrupt one is logged and
      removed, never returned, and nothing of it is unpickled.
    * Entries are signed with ``_signing_key()`` (HMAC-SHA256): only a writer
      holding the key makes entries that ``lookup`` and ``load`` accept.
    * Values are stored serialized: mutating a loaded value or the original
      never changes what a later ``load`` returns.
    * With ``max_bytes``, least-recently-used entries (saved, looked up or
      loaded) are evicted until the total fits.
    * Safe to share between threads; ``DiskCache`` also between processes.

    Subclasses implement the byte-level primitives ``_read``, ``_read_head``,
    ``_write``, ``delete``, ``clear``, ``__len__`` and ``total_bytes``; a
    persistent one overrides ``_signing_key`` (the default is a random key per
    instance, so entries written by another instance or process are refused).
    """

    max_bytes: int | None = None

    def _signing_key(self) -> bytes | None:
        """The secret that signs entries, or ``None`` when the cache must not be used."""
        key: bytes = self.__dict__.setdefault("_own_key", os.urandom(32))  # atomic: one key
        return key

    # -- the contract ------------------------------------------------------------------------
    def save(self, key: str, value: Any, fingerprint: str) -> bool:
        """Store ``value`` (whose content fingerprint is ``fingerprint``) under ``key``."""
        secret = self._signing_key()
        if secret is None:
            return False
        payload = _serialize(value)
        if payload is None:
            return False
        if self.max_bytes is not None and len(payload) + _HEAD > self.max_bytes:
            log.info("entry %s (%d bytes) exceeds the cache limit; not cached", key, len(payload))
            return False
        body = _BODY.pack(_MAGIC, bytes.fromhex(fingerprint), len(payload), _mac(secret, payload))
        self._write(key, body + _mac(secret, body + key.encode()) + payload)
        return True

    def lookup(self, key: str) -> str | None:
        """The fingerprint of the value stored under ``key``, or ``None``."""
        secret = self._signing_key()
        head = self._read_head(key) if secret is not None else None
        if head is None or secret is None or not self._head_ok(key, head, secret):
            return None
        return head[4:20].hex()

    def load(self, key: str) -> Any:
        """The value stored under ``key``; ``KeyError`` when absent, corrupt or forged."""
        secret = self._signing_key()
        blob = self._read(key) if secret is not None else None
        if blob is None or secret is None or not self._head_ok(key, blob, secret):
            raise KeyError(key)
        _, _, length, tag = _BODY.unpack_from(blob)
        payload = memoryview(blob)[_HEAD:]
        if len(payload) != length:
            self._corrupt(key, f"expected {length} payload bytes, found {len(payload)}")
            raise KeyError(key)
        if not hmac.compare_digest(_mac(secret, payload), tag):
            self._corrupt(key, "payload does not match its signature (tampered or forged)")
            raise KeyError(key)
        try:
            return pickle.loads(payload)
        except Exception as exc:
            self._corrupt(key, f"cannot unpickle: {type(exc).__name__}: {exc}")
            raise KeyError(key) from None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.lookup(key) is not None

    def _head_ok(self, key: str, head: bytes, secret: bytes) -> bool:
        """Whether ``head`` starts a well-formed entry signed with ``secret`` for ``key``."""
        if len(head) < _HEAD or head[:4] != _MAGIC:
            if head[:4] in _OLD_MAGICS:  # written by an earlier version: not signed
                log.debug("cache entry %s has an unsigned older format; recomputing", key)
                self.delete(key)
            else:
                self._corrupt(key, "bad header")
            return False
        signature = _mac(secret, head[:_SIGNED] + key.encode())
        if not hmac.compare_digest(signature, head[_SIGNED:_HEAD]):
            self._corrupt(key, "not signed with this user's cache key: forged, tampered, foreign")
            return False
        return True

    def _corrupt(self, key: str, why: str) -> None:
        log.warning("cache entry %s in %r is corrupt (%s); removed, will recompute", key, self, why)
        self.delete(key)

    # -- primitives --------------------------------------------------------------------------
    @abstractmethod
    def _read(self, key: str) -> bytes | None:
        """The whole stored blob, or ``None``; counts as a use for LRU."""

    @abstractmethod
    def _read_head(self, key: str) -> bytes | None:
        """At least the first header bytes of the blob, or ``None``; counts as a use."""

    @abstractmethod
    def _write(self, key: str, blob: bytes) -> None:
        """Store ``blob`` atomically, then evict beyond ``max_bytes``."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove one entry (no error when absent)."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every entry."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of entries."""

    @abstractmethod
    def total_bytes(self) -> int:
        """Bytes used by all entries."""


class MemoryCache(Cache):
    """Entries in this process's memory, serialized; LRU beyond ``max_bytes``.

    Example:
        >>> from hyperflow.engine import MemoryCache, fingerprint
        >>> c = MemoryCache()
        >>> c.save("ab" * 16, [1, 2], fingerprint([1, 2]))
        True
        >>> c.load("ab" * 16)
        [1, 2]
    """

    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes
        self._data: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryCache(entries={len(self._data)}, max_bytes={self.max_bytes})"

    def _read(self, key: str) -> bytes | None:
        with self._lock:
            blob = self._data.get(key)
            if blob is not None:
                self._data.move_to_end(key)
            return blob

    _read_head = _read

    def _write(self, key: str, blob: bytes) -> None:
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._data[key] = blob
            self._bytes += len(blob)
            if self.max_bytes is not None:
                while self._bytes > self.max_bytes and self._data:
                    _, dropped = self._data.popitem(last=False)
                    self._bytes -= len(dropped)

    def delete(self, key: str) -> None:
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= len(old)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)

    def total_bytes(self) -> int:
        return self._bytes


class DiskCache(Cache):
    """Entries as files ``<path>/<key[:2]>/<key>``; atomic writes; LRU beyond ``max_bytes``.

    Writes go to a temporary file in the same folder and are renamed into
    place, so concurrent processes and crashes never leave a half-written
    entry under a key. Recency is the file's modification time, refreshed on
    lookup and load when older than ``touch_every_s`` (so a hit costs no
    metadata write; LRU order is exact to that many seconds).

    On first use the folder is checked (created 0700; one owned by another
    user is refused with a warning and the cache is not used) and the user's
    signing key is read (see ``hyperflow.engine._cache_trust``); temporary
    files of writers that died are removed then (once they are an hour old),
    on eviction, and all of them on ``clear()``; they count in ``total_bytes``.

    Example:
        >>> import tempfile
        >>> from hyperflow.engine import DiskCache, fingerprint
        >>> c = DiskCache(tempfile.mkdtemp())
        >>> c.save("cd" * 16, {"a": 1}, fingerprint({"a": 1}))
        True
        >>> c.lookup("cd" * 16) == fingerprint({"a": 1})
        True
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        max_bytes: int | None = None,
        touch_every_s: float = 60.0,
    ) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.touch_every_s = touch_every_s
        self._touch_ns = int(touch_every_s * 1e9)
        self._approx: int | None = None  # bytes, estimated between scans
        self._known: dict[str, tuple[str, int]] = {}  # key -> (fingerprint, last touch ns)
        self._lock = threading.Lock()
        self._key: bytes | None = None
        self._refused: str | None = None

    def __repr__(self) -> str:
        return f"DiskCache({str(self.path)!r}, max_bytes={self.max_bytes})"

    # -- trust: checked once, on first use -------------------------------------------------
    def _signing_key(self) -> bytes | None:
        if self._key is None and self._refused is None:
            self._open()
        return self._key

    def _open(self) -> None:
        with self._lock:
            if self._key is not None or self._refused is not None:
                return
            try:
                exists = check_folder(self.path, create=False)
                key = user_key(self.path)
            except (CacheError, OSError) as exc:
                self._refused = str(exc)
                log.warning("the cache in %s is not used: %s", self.path, exc)
                return
            if exists:
                sweep_now_and_then(
                    f"{self.path}/{_SWEPT}", lambda: remove_stale(self._temps()), TEMP_GRACE_S
                )
            self._key = key

    def _file(self, key: str) -> str:
        return f"{self.path}/{key[:2]}/{key}"

    def _touch(self, fd: int) -> None:
        """Refresh the entry's recency (its mtime), at most every ``touch_every_s``."""
        if self.max_bytes is None:
            return
        now = time.time_ns()
        try:
            if now - os.fstat(fd).st_mtime_ns >= self._touch_ns:
                os.utime(fd, ns=(now, now))
        except OSError:  # read-only or vanished: recency is best effort
            pass

    def _read(self, key: str) -> bytes | None:
        try:
            with open(self._file(key), "rb") as fh:
                blob = fh.read()
                self._touch(fh.fileno())
        except (FileNotFoundError, NotADirectoryError):
            return None
        return blob

    def _read_head(self, key: str) -> bytes | None:
        try:
            fd = os.open(self._file(key), _O_RDONLY)  # lower level than open(): the hit path
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            head = os.read(fd, _HEAD)
            self._touch(fd)
        finally:
            os.close(fd)
        return head

    # -- an in-process index of known entries: repeated hits need no I/O ------------------
    # Safe because a hit's value is verified when it is loaded: an entry that another
    # process removed or damaged since is recomputed then, never returned.
    def lookup(self, key: str) -> str | None:
        known = self._known.get(key)
        if known is not None:
            if self.max_bytes is None:
                return known[0]
            now = time.time_ns()
            if now - known[1] < self._touch_ns:
                return known[0]
            try:  # refresh recency on disk now and then
                os.utime(self._file(key), ns=(now, now))
                self._known[key] = (known[0], now)
                return known[0]
            except OSError:
                del self._known[key]
        fp = super().lookup(key)
        if fp is not None:
            self._remember(key, fp)
        return fp

    def save(self, key: str, value: Any, fingerprint: str) -> bool:
        saved = super().save(key, value, fingerprint)
        if saved:
            self._remember(key, fingerprint)
        return saved

    def load(self, key: str) -> Any:
        try:
            return super().load(key)
        except KeyError:
            self._known.pop(key, None)
            raise

    def _remember(self, key: str, fp: str) -> None:
        if len(self._known) >= _MAX_KNOWN:
            self._known.clear()
        self._known[key] = (fp, time.time_ns())

    def _write(self, key: str, blob: bytes) -> None:
        self._known.pop(key, None)
        folder = self.path / key[:2]
        tmp = folder / f".{key}.{uuid.uuid4().hex}.tmp"
        try:
            try:
                fh = open(tmp, "wb")  # noqa: SIM115 - closed below
            except FileNotFoundError:
                self._make_folder(folder)
                fh = open(tmp, "wb")  # noqa: SIM115
            with fh:
                fh.write(blob)
            os.replace(tmp, self._file(key))
        except FileNotFoundError:  # a concurrent clear() took the temporary file: not cached
            log.debug("cache entry %s was not stored: its temporary file vanished", key)
            return
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if self.max_bytes is not None:
            with self._lock:
                if self._approx is None:
                    self._approx = self.total_bytes()
                else:
                    self._approx += len(blob)
                if self._approx > self.max_bytes:
                    self._evict(self.max_bytes)

    def _make_folder(self, folder: Path) -> None:
        """Create ``folder`` (and the cache folder, 0700 and checked, if it is gone)."""
        if not self.path.is_dir():
            check_folder(self.path, create=True)
        folder.mkdir(mode=0o700, exist_ok=True)

    def _folders(self) -> list[str]:
        try:
            return [
                sub.path
                for sub in os.scandir(self.path)
                if len(sub.name) == 2 and sub.is_dir(follow_symlinks=False)
            ]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def _entries(self) -> list[tuple[int, int, str]]:
        """(mtime_ns, size, path) of every entry."""
        return list(files_in(self._folders(), lambda name: not name.startswith(".")))

    def _temps(self) -> list[tuple[int, int, str]]:
        """(mtime_ns, size, path) of every temporary file (live writers' or dead ones')."""
        return list(files_in(self._folders(), _is_temp))

    def _evict(self, limit: int) -> None:
        temps = self._temps()
        total = sum(size for _, size, _ in temps) - remove_stale(temps)[1]
        entries = sorted(self._entries())
        total += sum(size for _, size, _ in entries)
        for _, size, file in entries:
            if total <= limit:
                break
            with contextlib.suppress(FileNotFoundError):
                os.unlink(file)
            total -= size
        self._approx = total
        self._known.clear()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            os.unlink(self._file(key))
        self._known.pop(key, None)
        self._approx = None

    def clear(self) -> None:
        """Remove every entry and every temporary file (a writer busy meanwhile stores nothing)."""
        for _, _, file in self._entries() + self._temps():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(file)
        self._approx = 0
        self._known.clear()

    def __len__(self) -> int:
        return len(self._entries())

    def total_bytes(self) -> int:
        """Bytes of all entries and temporary files."""
        return sum(size for _, size, _ in self._entries() + self._temps())

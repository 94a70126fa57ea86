"""Who may write a disk cache: the per-user key that signs its entries, and the folder checks.

A cache entry is a pickle, and unpickling runs code. So an entry is loaded only
when it carries an HMAC-SHA256 made with a key that only this user can read:

* the key is 32 random bytes in ``$XDG_CONFIG_HOME/hyperflow/cache.key``
  (``~/.config/hyperflow/cache.key``), created mode 0600 on first use; where
  that folder cannot be written, ``.cache.key`` inside the cache folder;
  ``HYPERFLOW_CACHE_KEY_FILE`` names another file (e.g. one shared by the same
  user on several machines);
* the cache folder is created 0700; an existing one must belong to this user
  (else the cache is refused), and group/other permissions on it are removed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import threading
from pathlib import Path

from hyperflow._errors import CacheError

__all__ = ["KEY_FILE_ENV", "check_folder", "default_key_file", "user_key"]

KEY_FILE_ENV = "HYPERFLOW_CACHE_KEY_FILE"
_FALLBACK_NAME = ".cache.key"
_KEY_BYTES = 32
_KEYS: dict[str, bytes] = {}
_LOCK = threading.Lock()


def _uid() -> int | None:
    getuid = getattr(os, "getuid", None)  # absent on Windows: no owner checks there
    return int(getuid()) if getuid is not None else None


def default_key_file() -> Path:
    """Where the per-user cache key lives unless ``HYPERFLOW_CACHE_KEY_FILE`` says otherwise."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "hyperflow" / "cache.key"


def check_folder(path: Path, *, create: bool) -> bool:
    """Make sure ``path`` is a cache folder only this user can write; ``False`` when absent.

    Creates it (mode 0700) when ``create``; removes group/other permissions of
    a folder this user owns; raises ``CacheError`` for a folder owned by
    someone else, since whoever can write it can make this user run code.
    """
    if create:
        os.makedirs(path, mode=0o700, exist_ok=True)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        raise CacheError(f"cache location {path} is not a folder; point the cache at a folder")
    uid = _uid()
    if uid is None:
        return True
    if st.st_uid != uid:
        raise CacheError(
            f"cache folder {path} belongs to user id {st.st_uid}, not to you (user id {uid}); "
            "a cache runs code from its files, so only its owner may use it — use a folder of "
            "your own (cache=PATH, HYPERFLOW_CACHE=PATH) or chown it"
        )
    if st.st_mode & 0o077:
        os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
    return True


def _read_key(path: Path, *, checked: bool) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0))
    try:
        st = os.fstat(fd)
        uid = _uid()
        if checked and uid is not None and st.st_uid != uid:
            raise CacheError(
                f"cache key file {path} belongs to user id {st.st_uid}, not to you (user id "
                f"{uid}); delete it (a new key is made) or set {KEY_FILE_ENV} to a key of yours"
            )
        if checked and st.st_mode & 0o077:
            raise CacheError(
                f"cache key file {path} can be read or written by other users (mode "
                f"{stat.S_IMODE(st.st_mode):o}), so cache entries could be forged; delete it "
                "(a new key is made and old entries are recomputed) or chmod 600 it"
            )
        key = os.read(fd, 4096)
    finally:
        os.close(fd)
    if len(key) < _KEY_BYTES:
        raise CacheError(
            f"cache key file {path} holds {len(key)} bytes, expected at least {_KEY_BYTES}; "
            "delete it and a new key is made"
        )
    return key


def _create_key(path: Path) -> None:
    """Write a new random key to ``path`` (0600) unless another process got there first."""
    os.makedirs(path.parent, mode=0o700, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(_KEY_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # a concurrent first use made one: use it
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _load_or_create(path: Path) -> bytes:
    try:
        return _read_key(path, checked=True)
    except FileNotFoundError:
        _create_key(path)
        return _read_key(path, checked=True)


def user_key(cache_folder: Path) -> bytes:
    """The key that signs this user's cache entries (created on first use).

    Raises ``CacheError`` when no trustworthy key can be had.
    """
    explicit = os.environ.get(KEY_FILE_ENV)
    path = Path(explicit) if explicit else default_key_file()
    with _LOCK:
        key = _KEYS.get(str(path))
        if key is not None:
            return key
        try:
            key = _read_key(path, checked=False) if explicit else _load_or_create(path)
        except OSError as exc:
            if explicit:
                raise CacheError(
                    f"cannot read the cache key file {path} ({KEY_FILE_ENV}): {exc}"
                ) from exc
            fallback = cache_folder / _FALLBACK_NAME  # e.g. a read-only home in a container
            try:
                check_folder(cache_folder, create=True)
                key = _load_or_create(fallback)
            except OSError as exc2:
                raise CacheError(
                    f"cannot create a cache key at {path} ({exc}) nor at {fallback} ({exc2}); "
                    f"set {KEY_FILE_ENV} to a file of 32+ random bytes only you can read"
                ) from exc2
        _KEYS[str(path)] = key
        return key

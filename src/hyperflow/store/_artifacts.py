"""``FileArtifactStore``: content-addressed blobs on any fsspec filesystem.

Layout: ``<root>/sha256/<2 hex>/<62 hex>``. Local writes go to a temporary file
``.tmp-*`` in the same directory and are renamed into place (atomic); object
stores (S3) make a PUT visible only once complete. Blobs get the permissions
the umask gives new files. Temporary files of writers that died (``kill -9``)
are removed when a store is opened, once an hour old (so a live writer is never
disturbed). A blob whose bytes no longer match its digest (truncated, damaged)
is rewritten by the next ``put`` of the right bytes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping
from typing import Any

from hyperflow._errors import IntegrityError, StoreError
from hyperflow._tempfiles import TEMP_GRACE_S, files_in, remove_stale, sweep_now_and_then
from hyperflow.store._base import ArtifactStore

__all__ = ["FileArtifactStore"]

_TMP = ".tmp-"
_SWEPT = ".swept"  # marker file: when temporary files were last swept
_CHUNK = 1 << 20


def _is_temp(name: str) -> bool:
    return name.startswith(_TMP)


def _same_bytes(path: str, digest: str, size: int) -> bool:
    """Whether the file at ``path`` holds exactly the ``size`` bytes of sha256 ``digest``."""
    try:
        if os.path.getsize(path) != size:
            return False
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
    except FileNotFoundError:
        return False
    return h.hexdigest() == digest


def _write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file (mode from the umask) and a rename."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f"{_TMP}{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _filesystem(root: str, options: Mapping[str, Any]) -> tuple[Any, str]:
    import fsspec

    protocol = root.split("://", 1)[0] if "://" in root else "file"
    if protocol == "s3":
        try:
            import s3fs  # noqa: F401
        except ImportError as exc:
            raise StoreError(
                f"artifact root {root!r} needs s3fs; install it with pip install 'hyperflow[s3]'"
            ) from exc
    fs, path = fsspec.core.url_to_fs(root, **options)
    return fs, path.rstrip("/")


class FileArtifactStore(ArtifactStore):
    """Artifacts under a local directory or an fsspec URL such as ``s3://bucket/prefix``.

    Args:
        root: a directory, or an fsspec URL.
        storage_options: passed to fsspec (e.g. ``{"endpoint_url": ...}`` for S3).

    Example:
        >>> import tempfile
        >>> from hyperflow.store import FileArtifactStore
        >>> store = FileArtifactStore(tempfile.mkdtemp())
        >>> digest = store.put(b"hello")
        >>> digest[:12], store.get(digest)
        ('2cf24dba5fb0', b'hello')
    """

    def __init__(self, root: str, *, storage_options: Mapping[str, Any] | None = None) -> None:
        self._root = root
        self.fs, self._path = _filesystem(root, storage_options or {})
        self._local = "file" in (
            self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        )
        if self._local and os.path.isdir(f"{self._path}/sha256"):
            sweep_now_and_then(
                f"{self._path}/sha256/{_SWEPT}", self._remove_stale, TEMP_GRACE_S
            )

    @property
    def url(self) -> str:
        return self._root

    def __repr__(self) -> str:
        return f"FileArtifactStore({self._root!r})"

    def path_of(self, digest: str) -> str:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise StoreError(f"{digest!r} is not a sha256 hex digest (64 lowercase hex chars)")
        return f"{self._path}/sha256/{digest[:2]}/{digest[2:]}"

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_of(digest)
        if self._local:
            if not _same_bytes(path, digest, len(data)):  # absent, or damaged: (re)write it
                _write_atomic(path, data)
            return digest
        try:
            intact = self.fs.size(path) == len(data)
        except FileNotFoundError:
            intact = False
        if not intact:
            self.fs.pipe_file(path, data)
        return digest

    def _temp_files(self) -> list[tuple[int, int, str]]:
        """``(mtime_ns, size, path)`` of the temporary files of local writes in progress or dead."""
        if not self._local:
            return []
        top = f"{self._path}/sha256"
        try:
            folders = [e.path for e in os.scandir(top) if len(e.name) == 2 and e.is_dir()]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return list(files_in(folders, _is_temp))

    def _remove_stale(self, grace_s: float = TEMP_GRACE_S) -> int:
        """Remove temporary files untouched for ``grace_s`` seconds; how many were removed."""
        return remove_stale(self._temp_files(), grace_s)[0]

    def get(self, digest: str) -> bytes:
        path = self.path_of(digest)
        try:
            if self._local:
                with open(path, "rb") as fh:
                    data = fh.read()
            else:
                data = self.fs.cat_file(path)
        except FileNotFoundError as exc:
            raise StoreError(
                f"artifact {digest[:12]}… is missing from {self._root} (expected at {path}); "
                "was the artifact root moved or cleaned?"
            ) from exc
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise IntegrityError(
                f"artifact {path} is corrupt: expected sha256 {digest}, got {actual} "
                f"({len(data)} bytes); it was tampered with or truncated and was not loaded — "
                "delete it and log the value again"
            )
        return data

    def exists(self, digest: str) -> bool:
        path = self.path_of(digest)
        return os.path.exists(path) if self._local else bool(self.fs.exists(path))

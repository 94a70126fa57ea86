"""``FileArtifactStore``: content-addressed blobs on any fsspec filesystem.

Layout: ``<root>/sha256/<2 hex>/<62 hex>``. Local writes go to a temporary file
in the same directory and are renamed into place (atomic); object stores (S3)
make a PUT visible only once complete.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from typing import Any

from hyperflow._errors import IntegrityError, StoreError
from hyperflow.store._base import ArtifactStore

__all__ = ["FileArtifactStore"]


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
            if os.path.exists(path):
                return digest
            directory = os.path.dirname(path)
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
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
            return digest
        if not self.fs.exists(path):
            self.fs.pipe_file(path, data)
        return digest

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

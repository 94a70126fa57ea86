"""Resolving ``None | URL | instance`` into a store, in one place.

Opened stores are cached per process and location, so repeated runs do not
re-open the database or re-check its schema.
"""

from __future__ import annotations

import os
import threading

from hyperflow._errors import StoreError
from hyperflow.store._artifacts import FileArtifactStore
from hyperflow.store._base import ArtifactStore, MetadataStore
from hyperflow.store._project import resolve_artifact_root, resolve_store_url
from hyperflow.store._sql import SQLStore

__all__ = ["get_artifact_store", "get_store", "sql_store"]

_lock = threading.Lock()
_stores: dict[tuple[int, str], MetadataStore] = {}
_artifact_stores: dict[tuple[int, str], ArtifactStore] = {}


def get_store(store: MetadataStore | str | None = None) -> MetadataStore:
    """The metadata store for ``store``: an instance as is, a URL, or the default.

    ``None`` means ``HYPERFLOW_STORE``, then the project's ``store`` setting, then
    ``sqlite:///.hyperflow/hyperflow.db`` under the project root (or the current
    directory), resolved now.

    Example:
        >>> import tempfile
        >>> from hyperflow.store import get_store
        >>> get_store(f"sqlite:///{tempfile.mkdtemp()}/x.db").url.endswith("x.db")
        True
    """
    if isinstance(store, MetadataStore):
        return store
    if store is not None and not isinstance(store, str):
        raise StoreError(
            f"store must be None, a URL or a MetadataStore, but got {type(store).__name__}; "
            "pass e.g. 'sqlite:///runs.db' or 'postgresql+psycopg://user@host/db'"
        )
    url = resolve_store_url(store)
    key = (os.getpid(), url)
    with _lock:
        found = _stores.get(key)
        if found is None:
            found = _stores[key] = SQLStore(url)
        return found


def sql_store(store: MetadataStore | str | None, needs: str) -> SQLStore:
    """The metadata store of ``store`` (``None``: the default, or a URL) as a ``SQLStore``.

    Each part kept in the metadata store's tables (events, leases, monitoring, traffic,
    service state) resolves its store here; ``needs`` names it in the error, e.g.
    ``"leases need"``.

    Raises:
        StoreError: the store is not a SQL one.
    """
    resolved = get_store(store)
    if not isinstance(resolved, SQLStore):
        raise StoreError(
            f"{needs} a SQL metadata store, got {type(resolved).__name__}; "
            "pass a sqlite:// or postgresql:// URL"
        )
    return resolved


def get_artifact_store(store: ArtifactStore | str | None = None) -> ArtifactStore:
    """The artifact store for ``store``: an instance as is, a path/URL, or the default.

    ``None`` means ``HYPERFLOW_ARTIFACTS``, then the project's ``artifacts``
    setting, then ``.hyperflow/artifacts`` under the project root.
    """
    if isinstance(store, ArtifactStore):
        return store
    if store is not None and not isinstance(store, str):
        raise StoreError(
            f"artifact store must be None, a path/URL or an ArtifactStore, but got "
            f"{type(store).__name__}; pass e.g. '.hyperflow/artifacts' or 's3://bucket/prefix'"
        )
    root = resolve_artifact_root(store)
    key = (os.getpid(), root)
    with _lock:
        found = _artifact_stores.get(key)
        if found is None:
            found = _artifact_stores[key] = FileArtifactStore(root)
        return found

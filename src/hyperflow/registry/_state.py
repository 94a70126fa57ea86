"""``hf.ServiceState``: the lasting state a service's endpoints read and write.

Backed by the metadata store's :class:`~hyperflow.store.StateStore` (tables of revision
0010), so it survives a restart and is shared by every server process on one
database. An endpoint gets it by declaring a pipeline input ``state: hf.ServiceState``;
the server (and ``hf.registry.load``) injects the state of the registered service name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from hyperflow._errors import StoreError
from hyperflow.store import MetadataStore, StateDocument, StateItem, StateStore, get_state_store

__all__ = ["Chunk", "ServiceState", "StateCollection"]

_KV = "_kv"


@dataclass(frozen=True)
class Chunk:
    """An item to store with a document: a JSON ``value`` and an optional ``vector``
    (bytes, or anything with ``tobytes()`` such as a numpy array; read it back with
    ``np.frombuffer(item.vector, dtype=...)``)."""

    value: Any
    vector: Any = None


def _item(chunk: Any) -> tuple[Any, bytes | None]:
    if not isinstance(chunk, Chunk):
        return chunk, None
    vector = chunk.vector
    if vector is not None and not isinstance(vector, bytes | bytearray | memoryview):
        to_bytes = getattr(vector, "tobytes", None)
        if to_bytes is None:
            raise StoreError(
                f"a chunk's vector must be bytes or have tobytes() (a numpy array), but got "
                f"{type(vector).__name__}"
            )
        vector = to_bytes()
    return chunk.value, None if vector is None else bytes(vector)


class StateCollection:
    """Documents of one collection, each with its chunks (see :class:`ServiceState`)."""

    def __init__(self, state: ServiceState, name: str) -> None:
        self._state = state
        self.name = name

    def __repr__(self) -> str:
        return f"StateCollection({self._state.service!r}, {self.name!r})"

    def put(
        self,
        key: str,
        value: Any,
        *,
        data: bytes | None = None,
        chunks: Iterable[Any] = (),
        replace: bool = True,
    ) -> bool:
        """Store a document with its chunks in one transaction.

        It replaces the document at ``key`` and all its earlier chunks; with
        ``replace=False`` nothing is written when ``key`` exists (returns ``False``).
        ``chunks``: JSON values or :class:`Chunk` (value plus vector).
        """
        items = [_item(c) for c in chunks]
        return self._state.store.put(
            self._state.service, self.name, key, value, data=data, items=items,
            if_absent=not replace,
        )

    def get(self, key: str) -> StateDocument | None:
        """The document at ``key`` (``.value``, ``.data``, ``.items``), or ``None``."""
        return self._state.store.get(self._state.service, self.name, key)

    def chunks(self, key: str | None = None, *, vectors: bool = True) -> list[StateItem]:
        """The chunks of document ``key`` (``None``: of every document), in order."""
        return self._state.store.items(self._state.service, self.name, key, vectors=vectors)

    def delete(self, key: str) -> bool:
        """Remove the document and its chunks; ``False`` when there was none."""
        return self._state.store.delete(self._state.service, self.name, key)

    def keys(self) -> list[str]:
        """The document keys, sorted."""
        return self._state.store.keys(self._state.service, self.name)

    def clear(self) -> int:
        """Remove every document of the collection; returns how many."""
        return self._state.store.clear(self._state.service, self.name)

    def __len__(self) -> int:
        return self._state.store.count(self._state.service, self.name)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())


class ServiceState:
    """The lasting state of service ``service``: key/value pairs and collections.

    Args:
        service: the (registered) service name the state belongs to; every version
            of the service shares it.
        store: a ``StateStore``, a ``MetadataStore``, a URL, or ``None`` (the project's).

    Example:
        >>> import tempfile
        >>> import hyperflow as hf
        >>> state = hf.ServiceState("docs", store=f"sqlite:///{tempfile.mkdtemp()}/s.db")
        >>> state.set("greeting", {"text": "hi"})
        >>> state.get("greeting")
        {'text': 'hi'}
        >>> files = state.collection("files")
        >>> files.put("a.txt", {"chars": 5}, chunks=["hello"])
        True
        >>> [c.value for c in files.chunks("a.txt")], files.delete("a.txt"), len(files)
        (['hello'], True, 0)
    """

    def __init__(
        self, service: str, *, store: StateStore | MetadataStore | str | None = None
    ) -> None:
        self.service = service
        self._given = store
        self._store: StateStore | None = store if isinstance(store, StateStore) else None

    def __repr__(self) -> str:
        return f"ServiceState({self.service!r})"

    @property
    def store(self) -> StateStore:
        """The state store (opened on first use)."""
        if self._store is None:
            self._store = get_state_store(self._given)
        return self._store

    def collection(self, name: str) -> StateCollection:
        """The collection ``name`` (created on first write)."""
        if name == _KV:
            raise StoreError(f"collection name {_KV!r} is reserved for get/set")
        return StateCollection(self, name)

    def get(self, key: str, default: Any = None) -> Any:
        """The value ``set`` at ``key``, else ``default``."""
        doc = self.store.get(self.service, _KV, key)
        return default if doc is None else doc.value

    def set(self, key: str, value: Any) -> None:
        """Store a JSON ``value`` at ``key`` (replacing the earlier one)."""
        self.store.put(self.service, _KV, key, value)

    def delete(self, key: str) -> bool:
        """Remove the value at ``key``; ``False`` when there was none."""
        return self.store.delete(self.service, _KV, key)

"""The docqa service: ``ingest`` and ``query`` served as endpoints of one ``hf.Service``.

* ``upload_document(file, filename)`` — a multipart upload (``.txt``, ``.md``, ``.pdf``);
  returns ``{"document_id", "filename", "passages"}``.
* ``query_document(document_id, query, output_format)`` — ``document_id`` ``"*"``
  searches every document; returns ``{"answer", "query_embedding"}`` (the MiniLM
  vector of the query, logged so that ``hf.monitor.check(..., endpoint=
  "query_document")`` tests query topics for drift with MMD).
* ``delete_document(document_id)`` — removes the document with its passages.

Documents and their passages live in the service state (``StateDocumentStore``, the
``DocumentStore`` contract over ``hf.ServiceState``), MiniLM passage vectors too
(``StateVectorCache``, float32 bytes), so they survive a restart and every server
process on the same store shares them. The searched configuration is the version's
artifact ``settings`` (see ``register``): the endpoints read it, the code stays fixed.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import numpy as np

import hyperflow as hf
from examples.docqa.documents import Chunk, Document
from examples.docqa.pipeline import ingest, ingest_config, query_config
from examples.docqa.pipeline import query as query_pipeline
from examples.docqa.store import ALL, DocumentStore
from examples.docqa.vectors import MODEL, VectorCache, embed, load_query_encoder, vector_cache

__all__ = [
    "SETTINGS",
    "StateDocumentStore",
    "StateVectorCache",
    "register",
    "service",
    "state_store",
]

SETTINGS = "settings"
"""The artifact holding the served configuration (chunker, retriever and their parameters)."""

MONITOR = "monitor_queries"
"""The settings key that turns the logged query embedding on (default) or off."""

DOCUMENTS, VECTORS, _REVISION = "documents", "vectors", "documents.revision"
_MAX_CACHED = 64


class StateDocumentStore(DocumentStore):
    """Documents and passages in the collection ``documents`` of a service's state.

    A document and its passages are written in one transaction; ``revision`` (a state
    key) changes on every write, so passages read before a write are read again after
    it, by this process or any other on the same store. ``ids`` are oldest first.
    """

    def __init__(self, state: hf.ServiceState) -> None:
        self.state = state
        self._docs = state.collection(DOCUMENTS)
        self._read: dict[str, tuple[str, list[Chunk]]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"StateDocumentStore({self.state.service!r})"

    def put(self, document: Document, chunks: list[Chunk]) -> None:
        value = {"name": document.name, "kind": document.kind, "chars": len(document.text)}
        self._docs.put(document.id, value, chunks=[asdict(c) for c in chunks])
        self._touch()

    def chunks(self, document_id: str) -> list[Chunk]:
        revision = self.revision
        with self._lock:
            seen = self._read.get(document_id)
        if seen is not None and seen[0] == revision:
            return list(seen[1])
        items = self._docs.chunks(None if document_id == ALL else document_id, vectors=False)
        if not items and document_id != ALL:
            raise self._unknown(document_id)
        got = [Chunk(**item.value) for item in items]
        with self._lock:
            self._read[document_id] = (revision, got)
            while len(self._read) > _MAX_CACHED:
                self._read.pop(next(iter(self._read)))
        return list(got)

    def delete(self, document_id: str) -> None:
        if document_id == ALL or not self._docs.delete(document_id):
            raise self._unknown(document_id)
        self._touch()

    def ids(self) -> list[str]:
        docs = [self._docs.get(k) for k in self._docs]
        return [d.key for d in sorted((d for d in docs if d), key=lambda d: d.created_at)]

    @property
    def revision(self) -> str:
        return str(self.state.get(_REVISION, "empty"))

    def _touch(self) -> None:
        self.state.set(_REVISION, uuid.uuid4().hex)


class StateVectorCache(VectorCache):
    """MiniLM vectors in the collection ``vectors`` of a service's state (float32 bytes).

    A vector missing there is looked up in ``fallback`` (e.g. the folder a search filled)
    and copied into the state; vectors read once are kept in this process.
    """

    def __init__(self, state: hf.ServiceState, fallback: VectorCache | None = None) -> None:
        self._vectors = state.collection(VECTORS)
        self.fallback = fallback
        self._memo: dict[str, np.ndarray] = {}

    def get(self, key: str) -> np.ndarray | None:
        if key in self._memo:
            return self._memo[key]
        doc = self._vectors.get(key)
        vec = None if doc is None or doc.data is None else np.frombuffer(doc.data, np.float32)
        if vec is None and self.fallback is not None:
            vec = self.fallback.get(key)
            if vec is not None:
                self.put(key, vec)
        if vec is not None:
            self._memo[key] = vec
        return vec

    def put(self, key: str, vector: np.ndarray) -> None:
        arr = np.ascontiguousarray(vector, dtype=np.float32)
        self._vectors.put(
            key, {"model": MODEL, "dim": int(arr.size)}, data=arr.tobytes(), replace=False
        )
        self._memo[key] = arr


_STORES: weakref.WeakKeyDictionary[hf.ServiceState, tuple[StateDocumentStore, StateVectorCache]]
_STORES = weakref.WeakKeyDictionary()
_STORES_LOCK = threading.Lock()


def state_store(state: hf.ServiceState) -> tuple[StateDocumentStore, StateVectorCache]:
    """The document store and vector cache of ``state`` (one pair per state object, so
    passages read once are reused by later requests of this process)."""
    with _STORES_LOCK:
        pair = _STORES.get(state)
        if pair is None:
            pair = (StateDocumentStore(state), StateVectorCache(state, vector_cache()))
            _STORES[state] = pair
        return pair


def _run(pipeline: hf.Pipeline, inputs: dict[str, Any], config: dict[str, Any], out: str) -> Any:
    """``pipeline``'s output ``out``; a node's failure is raised as its own cause, so the
    server answers it as that error (``LookupError``: 404, ``ValueError``: 422)."""
    try:
        return pipeline.run(inputs=inputs, config=config, outputs=[out], track=False, cache=False)[
            out
        ]
    except hf.NodeError as exc:
        if exc.__cause__ is not None:
            raise exc.__cause__ from None
        raise


def _uses_vectors(settings: Mapping[str, Any]) -> bool:
    return settings.get("retriever") in ("dense", "hybrid")


@hf.node(output="document", cache=False)
def upload(
    state: hf.ServiceState, settings: dict[str, Any], file: bytes, filename: str
) -> dict[str, Any]:
    """Parse, chunk and store the file (all or nothing); with a MiniLM retriever its passage
    vectors are computed and stored now, not at the first query."""
    store, vectors = state_store(state)
    inputs = {"file": file, "filename": filename, "store": store}
    doc = str(_run(ingest, inputs, ingest_config(settings), "document_id"))
    chunks = store.chunks(doc)
    if _uses_vectors(settings):
        embed([c.text for c in chunks], [c.digest for c in chunks], vectors)
    return {"document_id": doc, "filename": filename, "passages": len(chunks)}


def query_embedding(text: str) -> list[float]:
    """The unit MiniLM vector of a query (the float model's, whatever encodes for retrieval,
    so that logged vectors stay comparable)."""
    return [round(float(x), 6) for x in load_query_encoder(int8=False)(text)]


@hf.node(output="result", cache=False)
def answer(
    state: hf.ServiceState,
    settings: dict[str, Any],
    document_id: str,
    query: str,
    output_format: str = "markdown",
) -> dict[str, Any]:
    """The answer in ``output_format``, and the query's embedding (for drift monitoring)."""
    store, vectors = state_store(state)
    inputs = {
        "document_id": document_id,
        "query": query,
        "output_format": output_format,
        "store": store,
        "vectors": vectors,
    }
    result: dict[str, Any] = {
        "answer": _run(query_pipeline, inputs, query_config(settings), "answer")
    }
    if settings.get(MONITOR, True):
        result["query_embedding"] = query_embedding(" ".join(query.split()))
    return result


@hf.node(output="deleted", cache=False)
def remove(state: hf.ServiceState, document_id: str) -> dict[str, Any]:
    """Remove the document and its passages (an unknown id: 404)."""
    store, _ = state_store(state)
    store.delete(document_id)
    return {"document_id": document_id, "deleted": True}


service = hf.Service(
    "docs",
    endpoints={
        "upload_document": hf.Pipeline([upload], name="docqa-upload"),
        "query_document": hf.Pipeline([answer], name="docqa-answer"),
        "delete_document": hf.Pipeline([remove], name="docqa-delete"),
    },
    max_upload_bytes=20 * 1024 * 1024,
    description="Upload .txt, .md or .pdf files, then ask questions about them.",
)


def register(
    config: Mapping[str, Any],
    *,
    name: str = "docs",
    alias: str | None = "production",
    metrics: Mapping[str, float] | None = None,
    monitor_queries: bool = True,
) -> str:
    """Register ``service`` with ``config`` (e.g. ``study.best.config``) as its ``settings``
    artifact, point ``alias`` at it, and return the version.

    The config is checked against both pipelines first (an unknown key is an error with
    "did you mean"); ``metrics`` (e.g. the held-out recall) are logged on the version's run.
    """
    settings = {**dict(config), MONITOR: bool(monitor_queries)}
    ingest.space.resolve(ingest_config(settings))
    query_pipeline.space.resolve(query_config(settings))
    with hf.start_run(name, params=dict(config)) as run:
        run.log_artifact(settings, SETTINGS)
        if metrics:
            run.log_metrics(dict(metrics))
    version = hf.registry.register(name, run_id=run.id, predict=service, artifacts=[SETTINGS])
    if alias:
        hf.registry.set_alias(name, alias, version.version)
    return str(version.version)

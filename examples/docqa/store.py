"""Where ingested documents and their passages live, behind one small contract.

``DocumentStore`` is the contract the ``ingest`` and ``query`` pipelines use;
``MemoryDocumentStore`` (this process) and ``DirectoryDocumentStore`` (a folder of
JSON files, survives restarts) implement it, and ``document_store(None | path |
instance)`` picks one. The service's state API can implement the same four
methods later without touching the pipelines.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from abc import ABC, abstractmethod
from dataclasses import asdict
from difflib import get_close_matches
from pathlib import Path

from examples.docqa.documents import Chunk, Document

__all__ = [
    "DirectoryDocumentStore",
    "DocumentStore",
    "MemoryDocumentStore",
    "UnknownDocumentError",
    "document_store",
]

ALL = "*"
"""The ``document_id`` that searches every stored document at once."""


class UnknownDocumentError(KeyError):
    """A ``document_id`` the store does not hold (the message lists close ids)."""

    def __str__(self) -> str:
        return str(self.args[0])


class DocumentStore(ABC):
    """Documents and their passages.

    Contract: ``put`` stores a document with all its chunks atomically (a reader sees
    all or none of them; putting the same id again replaces them); ``chunks`` returns
    them in the order put; ``delete`` removes a document with its chunks; an unknown id
    raises ``UnknownDocumentError``. ``revision`` changes on every write, so a cached
    query result from before the write is never served after it.
    """

    @abstractmethod
    def put(self, document: Document, chunks: list[Chunk]) -> None:
        """Store ``document`` and its ``chunks`` (replacing an earlier copy)."""

    @abstractmethod
    def chunks(self, document_id: str) -> list[Chunk]:
        """The passages of one document, or of every document for ``"*"``."""

    @abstractmethod
    def delete(self, document_id: str) -> None:
        """Remove a document and its passages."""

    @abstractmethod
    def ids(self) -> list[str]:
        """The stored document ids, oldest first."""

    @property
    @abstractmethod
    def revision(self) -> str:
        """A token that changes with every write."""

    def _unknown(self, document_id: str) -> UnknownDocumentError:
        close = get_close_matches(document_id, self.ids(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return UnknownDocumentError(
            f"unknown document_id {document_id!r}{hint} (upload the document first, "
            f"or use {ALL!r} to search all {len(self.ids())} documents)"
        )

    def __hyperflow_fingerprint__(self) -> str:
        return f"{type(self).__name__}:{self.revision}"


class MemoryDocumentStore(DocumentStore):
    """Documents in a dict of this process."""

    def __init__(self) -> None:
        self._docs: dict[str, tuple[Document, list[Chunk]]] = {}
        self._lock = threading.Lock()
        self._revision = uuid.uuid4().hex

    def put(self, document: Document, chunks: list[Chunk]) -> None:
        with self._lock:
            self._docs.pop(document.id, None)
            self._docs[document.id] = (document, list(chunks))
            self._revision = uuid.uuid4().hex

    def chunks(self, document_id: str) -> list[Chunk]:
        with self._lock:
            if document_id == ALL:
                return [c for _, chunks in self._docs.values() for c in chunks]
            if document_id in self._docs:
                return list(self._docs[document_id][1])
        raise self._unknown(document_id)

    def delete(self, document_id: str) -> None:
        with self._lock:
            if self._docs.pop(document_id, None) is not None:
                self._revision = uuid.uuid4().hex
                return
        raise self._unknown(document_id)

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._docs)

    @property
    def revision(self) -> str:
        return self._revision


class DirectoryDocumentStore(DocumentStore):
    """One JSON file per document under ``root`` (written whole, then renamed into place)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, document_id: str) -> Path:
        if not document_id.isalnum():
            raise self._unknown(document_id)
        return self.root / f"{document_id}.json"

    def put(self, document: Document, chunks: list[Chunk]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        body = {"document": asdict(document), "chunks": [asdict(c) for c in chunks]}
        tmp = self.root / f".{document.id}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps(body), encoding="utf-8")
        os.replace(tmp, self._path(document.id))

    def _read(self, path: Path) -> list[Chunk]:
        body = json.loads(path.read_text(encoding="utf-8"))
        return [Chunk(**c) for c in body["chunks"]]

    def chunks(self, document_id: str) -> list[Chunk]:
        if document_id == ALL:
            return [c for i in self.ids() for c in self._read(self._path(i))]
        path = self._path(document_id)
        if not path.exists():
            raise self._unknown(document_id)
        return self._read(path)

    def delete(self, document_id: str) -> None:
        path = self._path(document_id)
        if not path.exists():
            raise self._unknown(document_id)
        path.unlink()

    def ids(self) -> list[str]:
        if not self.root.exists():
            return []
        files = sorted(self.root.glob("*.json"), key=lambda p: (p.stat().st_mtime_ns, p.name))
        return [p.stem for p in files]

    @property
    def revision(self) -> str:
        if not self.root.exists():
            return "empty"
        stamps = [f"{p.stem}:{p.stat().st_mtime_ns}" for p in self.root.glob("*.json")]
        return "|".join(sorted(stamps))


def document_store(spec: DocumentStore | str | os.PathLike[str] | None = None) -> DocumentStore:
    """``None``: a new in-memory store; a path: a folder store there; an instance: itself."""
    if isinstance(spec, DocumentStore):
        return spec
    if spec is None:
        return MemoryDocumentStore()
    return DirectoryDocumentStore(spec)

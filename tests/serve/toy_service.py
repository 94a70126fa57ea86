"""A tiny document service for the endpoint tests: upload, query, delete, embed.

The embedding is a toy (word counts over a fixed vocabulary of two topics), so no
model is downloaded and a shift of query topics is visible in the vectors.
"""

from __future__ import annotations

import hashlib
from typing import TypedDict

import numpy as np

import hyperflow as hf
from hyperflow.registry import Chunk

VOCABULARY = [
    *("python", "function", "class", "module", "import", "loop", "list", "dict", "string"),
    *("error", "bread", "flour", "oven", "butter", "sugar", "salt", "yeast", "dough", "bake"),
    "recipe",
]
DOCUMENTS = "documents"


def embed_text(text: str, dims: int) -> list[float]:
    """Counts of the vocabulary's words (first ``dims``), L2-normalised."""
    words = [w.strip(".,?!").lower() for w in text.split()]
    v = np.array([words.count(w) for w in VOCABULARY[:dims]], dtype=np.float32)
    norm = float(np.linalg.norm(v))
    return (v / norm if norm else v).tolist()


def stored(state: hf.ServiceState, file: bytes, filename: str, dims: int) -> dict[str, object]:
    """Split the text into paragraphs, embed each, store the document with its chunks."""
    try:
        text = file.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{filename!r} is not UTF-8 text") from None
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    if not paragraphs:
        raise ValueError(f"{filename!r} holds no text")
    doc_id = hashlib.sha256(file).hexdigest()[:16]
    chunks = [
        Chunk({"text": p}, vector=np.asarray(embed_text(p, dims), np.float32))
        for p in paragraphs
    ]
    created = state.collection(DOCUMENTS).put(
        doc_id, {"filename": filename, "chars": len(text)}, chunks=chunks, replace=False
    )
    return {"document_id": doc_id, "chunks": len(chunks), "created": created}


def answer(state: hf.ServiceState, document_id: str, query: str, dims: int) -> dict[str, object]:
    """The best chunk of the document for the query, with the query's embedding."""
    if not query.strip():
        raise ValueError("the query is empty; send a question")
    docs = state.collection(DOCUMENTS)
    if docs.get(document_id) is None:
        raise KeyError(f"unknown document_id {document_id!r}; upload it first")
    q = np.asarray(embed_text(query, dims), np.float32)
    chunks = docs.chunks(document_id)
    scores = [float(np.frombuffer(c.vector or b"", np.float32) @ q) for c in chunks]
    best = int(np.argmax(scores))
    return {"answer": chunks[best].value["text"], "score": scores[best],
            "query_embedding": q.tolist()}


def removed(state: hf.ServiceState, document_id: str) -> bool:
    """Delete a document and its chunks."""
    if not state.collection(DOCUMENTS).delete(document_id):
        raise KeyError(f"unknown document_id {document_id!r}")
    return True


class Text(TypedDict):
    text: str


def embedded(texts: list[Text], dims: int) -> list[list[float]]:
    """Embeddings of many texts at once (a batchable endpoint)."""
    return [embed_text(t["text"], dims) for t in texts]


toy = hf.Service(
    "toy",
    endpoints={
        "upload_document": hf.Pipeline([stored], name="upload"),
        "query_document": hf.Pipeline([answer], name="query"),
        "delete_document": hf.Pipeline([removed], name="delete"),
        "embed": hf.Pipeline([embedded], name="embed"),
    },
    batching={"embed": {"max_batch_size": 8, "max_wait_ms": 50}},
    max_upload_bytes=2_000,
)


def register_toy(alias: str = "production") -> str:
    """Register the toy service (artifact: the embedding size) and point ``alias`` at it."""
    with hf.start_run("toy-fit") as run:
        run.log_artifact(len(VOCABULARY), "dims")
    mv = hf.registry.register("toy", run_id=run.id, predict=toy, artifacts=["dims"])
    hf.registry.set_alias("toy", alias, mv.version)
    return str(mv.version)


#: a service with other endpoints: a version of it cannot replace ``toy`` in a running server
toy_embed_only = hf.Service("toy", endpoints={"embed": hf.Pipeline([embedded], name="embed")})

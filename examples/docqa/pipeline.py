"""The document Q&A workflow: three hyperflow pipelines over one set of functions.

* ``ingest`` — free inputs ``file`` (bytes), ``filename`` and ``store``: parse, chunk
  (variant ``chunks``), store; returns ``document_id``.
* ``query`` — free inputs ``document_id``, ``query``, ``output_format`` and ``store``:
  load the passages, rank them (variant ``retriever``), answer (variant ``answer``).
* ``evaluate`` — the labelled pydoc questions against chunker × retriever; its
  ``metrics`` output drives ``evaluate.optimize(...)``.

The store is an input (``examples.docqa.store.DocumentStore``): in a service it is
bound like a model artifact; ``query_config`` / ``ingest_config`` split a study's
best config into the keys each pipeline reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

import hyperflow as hf
from examples.docqa.answer import check_format, extractive, generated
from examples.docqa.chunking import fixed, heading, sentences
from examples.docqa.documents import Chunk, Document, DocumentError, parse_document
from examples.docqa.evaluation import Question, corpus, load_questions, score
from examples.docqa.retrieval import Hit, Retriever, bm25, dense, hybrid, tfidf
from examples.docqa.store import DocumentStore

__all__ = [
    "OBJECTIVE",
    "evaluate",
    "ingest",
    "ingest_config",
    "query",
    "query_config",
]

OBJECTIVE = "recall_at_5 - 0.001 * p95_ms"
"""What the search maximizes: recall@5 of relevant topics, less 1e-3 per p95 millisecond."""

MAX_QUERY = 2000


def documents(file: bytes, filename: str) -> list[Document]:
    """The uploaded file, read (a list of one, the chunkers' input)."""
    return [parse_document(file, filename)]


@hf.node(cache=False)
def document_id(documents: list[Document], chunks: list[Chunk], store: DocumentStore) -> str:
    """Store the document with its passages (all or nothing); its id."""
    if not chunks:
        raise DocumentError(f"{documents[0].name!r} produced no passages; send a file with text")
    store.put(documents[0], chunks)
    return documents[0].id


def question(query: str, output_format: str = "markdown") -> str:
    """The query, stripped; an empty or over-long one is an error (as is a bad format)."""
    check_format(output_format)
    text = " ".join(str(query).split())
    if not text:
        raise ValueError("query is empty; send a question such as 'How do I open a file?'")
    if len(text) > MAX_QUERY:
        raise ValueError(f"query has {len(text)} characters, more than {MAX_QUERY}; shorten it")
    return text


@hf.node(output="chunks", cache=False)
def stored_chunks(store: DocumentStore, document_id: str) -> list[Chunk]:
    """The passages of ``document_id`` (``"*"``: of every stored document)."""
    return store.chunks(document_id)


@hf.node(cache=False)
def hits(
    retriever: Retriever, question: str, top_k: Annotated[int, hf.Int(1, 10)] = 5
) -> list[Hit]:
    """The ``top_k`` best passages for the question."""
    return retriever.search(question, top_k)


_RETRIEVERS: list[Callable[..., Any]] = [tfidf, bm25, dense, hybrid]
_CHUNKERS: list[Callable[..., Any]] = [fixed, heading, sentences]

ingest = hf.Pipeline([documents, *_CHUNKERS, document_id], name="docqa-ingest")
query = hf.Pipeline(
    [question, stored_chunks, *_RETRIEVERS, hits, extractive, generated], name="docqa-query"
)


# -- evaluation ---------------------------------------------------------------------------------
@hf.node(output="documents")
def reference_docs(topics: list[str] | None = None) -> list[Document]:
    """The Python reference topics of ``pydoc_data`` (all 79, or the ``topics`` named)."""
    return corpus(topics or ())


def questions(split: str = "search", topics: list[str] | None = None) -> list[Question]:
    """The labelled questions of ``split``; with ``topics``, those answered inside them."""
    qs = load_questions(split)
    if not topics:
        return qs
    keep = set(topics)
    return [
        Question(q.id, q.text, tuple(t for t in q.topics if t in keep), q.split)
        for q in qs
        if keep & set(q.topics)
    ]


@hf.node(cache=False)
def metrics(retriever: Retriever, questions: list[Question]) -> dict[str, float]:
    """recall@1/5/10, MRR, nDCG@10 and p50/p95 query latency (ms) over the questions."""
    return score(retriever, questions)


evaluate = hf.Pipeline(
    [reference_docs, *_CHUNKERS, *_RETRIEVERS, questions, metrics], name="docqa-evaluate"
)


def _pick(config: Mapping[str, Any], prefixes: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k.split(".", 1)[0] in prefixes}


def ingest_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of an ``evaluate`` config that ``ingest`` reads (the chunker's)."""
    return _pick(config, ("chunks",))


def query_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of an ``evaluate`` config that ``query`` reads (the retriever's)."""
    return _pick(config, ("retriever", "hits", "answer"))

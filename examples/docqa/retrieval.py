"""Retrievers: rank passages for a query. Four variants of the node ``retriever``.

* ``tfidf``: scikit-learn's TF-IDF, cosine similarity (the baseline);
* ``bm25``: Okapi BM25 (``bm25s``, sparse matrices), ``k1`` and ``b`` tunable;
* ``dense``: MiniLM sentence embeddings (cached by passage content), cosine similarity;
* ``hybrid``: reciprocal rank fusion of BM25 and dense rankings.

An index is built once per (variant, parameters, passage set) in a process and
reused by later queries (``build`` below), so a served query does not re-index.
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import numpy as np

import hyperflow as hf
from examples.docqa.documents import Chunk
from examples.docqa.vectors import (
    Encoder,
    VectorCache,
    embed,
    load_query_encoder,
    vector_cache,
)

__all__ = [
    "BM25Retriever",
    "DenseRetriever",
    "Hit",
    "HybridRetriever",
    "Retriever",
    "TfidfRetriever",
    "bm25",
    "build",
    "dense",
    "hybrid",
    "passage_set",
    "tfidf",
]

R = TypeVar("R", bound="Retriever")
_BUILT: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_BUILT_LOCK = threading.Lock()
_MAX_BUILT = 24


@dataclass(frozen=True)
class Hit:
    """One ranked passage: the chunk, its score under the retriever, and its rank (1 = best)."""

    chunk: Chunk
    score: float
    rank: int


class Retriever(ABC):
    """Scores every passage of a fixed set for a query.

    Contract: ``scores(query)`` returns one float per passage of ``chunks`` (higher is
    better); ``search`` returns at most ``k`` hits, best first, ranks from 1. Built
    retrievers are read-only, so one may serve concurrent queries.
    """

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = list(chunks)

    @abstractmethod
    def scores(self, query: str) -> np.ndarray:
        """One score per passage (higher is better)."""

    def search(self, query: str, k: int = 10) -> list[Hit]:
        """The ``k`` best passages for ``query``."""
        if not self.chunks:
            return []
        s = self.scores(query)
        k = min(k, len(s))
        top = np.argpartition(-s, k - 1)[:k]
        top = top[np.lexsort((top, -s[top]))]
        return [Hit(self.chunks[i], float(s[i]), r) for r, i in enumerate(top, 1)]


class TfidfRetriever(Retriever):
    """TF-IDF vectors (scikit-learn) and cosine similarity."""

    def __init__(self, chunks: Sequence[Chunk], ngram_max: int = 1, sublinear: bool = True):
        from sklearn.feature_extraction.text import TfidfVectorizer

        super().__init__(chunks)
        self.vectorizer_ = TfidfVectorizer(
            ngram_range=(1, ngram_max), sublinear_tf=sublinear, stop_words="english"
        )
        self.matrix_ = self.vectorizer_.fit_transform([c.text for c in self.chunks])

    def scores(self, query: str) -> np.ndarray:
        q = self.vectorizer_.transform([query])
        return np.asarray((self.matrix_ @ q.T).toarray()).ravel()


class BM25Retriever(Retriever):
    """Okapi BM25 over lower-cased word tokens without English stop words (``bm25s``)."""

    def __init__(self, chunks: Sequence[Chunk], k1: float = 1.2, b: float = 0.75):
        import bm25s

        super().__init__(chunks)
        self.index_ = bm25s.BM25(k1=k1, b=b)
        tokens = bm25s.tokenize([c.text for c in self.chunks], stopwords="en", show_progress=False)
        self.index_.index(tokens, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        import bm25s

        words = bm25s.tokenize(query, stopwords="en", return_ids=False, show_progress=False)[0]
        return np.asarray(self.index_.get_scores(words), dtype=np.float64)


class DenseRetriever(Retriever):
    """MiniLM sentence embeddings; passage vectors come from (and go to) a ``VectorCache``."""

    def __init__(
        self, chunks: Sequence[Chunk], cache: VectorCache, encoder: Encoder | None = None
    ) -> None:
        super().__init__(chunks)
        self.encoder_ = encoder
        texts = [c.text for c in self.chunks]
        self.vectors_ = embed(texts, [c.digest for c in self.chunks], cache, encoder)

    def query_vector(self, query: str) -> np.ndarray:
        """The query's unit vector: the given encoder's, else ``load_query_encoder()``'s."""
        if self.encoder_ is None:
            return load_query_encoder()(query)
        q: np.ndarray = np.asarray(self.encoder_.encode([query], batch_size=1), np.float32)[0]
        q /= max(float(np.linalg.norm(q)), 1e-12)
        return q

    def scores(self, query: str) -> np.ndarray:
        return np.asarray(self.vectors_ @ self.query_vector(query), dtype=np.float64)


class HybridRetriever(Retriever):
    """Reciprocal rank fusion: ``score = sum over retrievers of 1 / (k_rrf + rank)``."""

    def __init__(self, parts: Sequence[Retriever], k_rrf: int = 60) -> None:
        super().__init__(parts[0].chunks)
        self.parts = list(parts)
        self.k_rrf = k_rrf

    def scores(self, query: str) -> np.ndarray:
        total = np.zeros(len(self.chunks))
        for part in self.parts:
            order = np.argsort(-part.scores(query), kind="stable")
            ranks = np.empty(len(order))
            ranks[order] = np.arange(1, len(order) + 1)
            total += 1.0 / (self.k_rrf + ranks)
        return total


def passage_set(chunks: Sequence[Chunk]) -> str:
    """A digest of a passage list (texts and sources, in order): the index's identity."""
    h = hashlib.sha256()
    for c in chunks:
        h.update(f"{c.source}\x00{c.digest}\x01".encode())
    return h.hexdigest()[:32]


def build(key: tuple[Any, ...], factory: Callable[[], R]) -> R:
    """The retriever built for ``key`` in this process, or a new one from ``factory``."""
    with _BUILT_LOCK:
        if key in _BUILT:
            _BUILT.move_to_end(key)
            built: R = _BUILT[key]
            return built
    made = factory()
    with _BUILT_LOCK:
        _BUILT[key] = made
        while len(_BUILT) > _MAX_BUILT:
            _BUILT.popitem(last=False)
    return made


@hf.node(output="retriever", variant="tfidf")
def tfidf(
    chunks: list[Chunk],
    ngram_max: Annotated[int, hf.Int(1, 2)] = 1,
    sublinear: Annotated[bool, hf.Bool()] = True,
) -> Retriever:
    """TF-IDF with cosine similarity (the baseline)."""
    key = ("tfidf", ngram_max, sublinear, passage_set(chunks))
    return build(key, lambda: TfidfRetriever(chunks, ngram_max, sublinear))


@hf.node(output="retriever", variant="bm25")
def bm25(
    chunks: list[Chunk],
    k1: Annotated[float, hf.Float(0.6, 2.0, step=0.2)] = 1.2,
    b: Annotated[float, hf.Float(0.3, 1.0, step=0.1)] = 0.7,
) -> Retriever:
    """Okapi BM25 (``bm25s``)."""
    key = ("bm25", round(k1, 3), round(b, 3), passage_set(chunks))
    return build(key, lambda: BM25Retriever(chunks, k1, b))


@hf.node(output="retriever", variant="dense")
def dense(chunks: list[Chunk], vectors: VectorCache | None = None) -> Retriever:
    """MiniLM embeddings (passage vectors cached by content in ``vectors``, by default the
    folder ``DOCQA_VECTORS``; the service passes its state)."""
    key = ("dense", passage_set(chunks))
    return build(key, lambda: DenseRetriever(chunks, vector_cache(vectors)))


@hf.node(output="retriever", variant="hybrid")
def hybrid(
    chunks: list[Chunk],
    k_rrf: Annotated[int, hf.Int(10, 100, step=10)] = 60,
    k1: Annotated[float, hf.Float(0.6, 2.0, step=0.2)] = 1.2,
    b: Annotated[float, hf.Float(0.3, 1.0, step=0.1)] = 0.7,
    vectors: VectorCache | None = None,
) -> Retriever:
    """BM25 and MiniLM rankings fused by reciprocal rank (passage vectors as in ``dense``)."""
    ps = passage_set(chunks)
    sparse = build(("bm25", round(k1, 3), round(b, 3), ps), lambda: BM25Retriever(chunks, k1, b))
    dense_ = build(("dense", ps), lambda: DenseRetriever(chunks, vector_cache(vectors)))
    return HybridRetriever([sparse, dense_], k_rrf)

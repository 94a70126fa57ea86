"""Evaluation as data: labelled questions over ``pydoc_data.topics`` and ranking metrics.

Each question in ``questions.json`` lists the topic ids whose text answers it
(every topic containing its ``evidence`` passage). A retriever's passages are
mapped to their topics, first occurrence kept, and the topic ranking is scored:
recall@1/5/10 (share of relevant topics in the top k), MRR (1 / rank of the
first relevant topic), nDCG@10 (binary gains), and per-query latency.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

import numpy as np

from examples.docqa.documents import Document
from examples.docqa.retrieval import Retriever

__all__ = [
    "QUESTIONS",
    "SPLITS",
    "Question",
    "corpus",
    "load_questions",
    "ndcg_at",
    "rank_topics",
    "recall_at",
    "reciprocal_rank",
    "score",
]

QUESTIONS = Path(__file__).with_name("questions.json")
"""The labelled question set shipped with the example."""

SPLITS = ("search", "heldout", "all")


@dataclass(frozen=True)
class Question:
    """A labelled question: its id, text, the relevant topic ids, and its split."""

    id: str
    text: str
    topics: tuple[str, ...]
    split: str


def corpus(topics: Sequence[str] = ()) -> list[Document]:
    """The Python reference topics (all 79, or those named) as documents named by topic id."""
    from pydoc_data.topics import topics as pydoc_topics

    names = list(topics) or sorted(pydoc_topics)
    unknown = [t for t in names if t not in pydoc_topics]
    if unknown:
        raise KeyError(f"unknown pydoc topics {unknown}; see sorted(pydoc_data.topics.topics)")
    return [Document(id=t, name=t, kind="text", text=pydoc_topics[t]) for t in names]


def load_questions(split: str = "all", path: Path = QUESTIONS) -> list[Question]:
    """The questions of ``split`` (``"search"``, ``"heldout"`` or ``"all"``)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, but got {split!r}")
    rows = json.loads(path.read_text(encoding="utf-8"))["questions"]
    return [
        Question(r["id"], r["question"], tuple(r["topics"]), r["split"])
        for r in rows
        if split in ("all", r["split"])
    ]


def rank_topics(retriever: Retriever, query: str, depth: int = 50) -> list[str]:
    """Topic ids in the order their best passage ranks for ``query`` (duplicates dropped)."""
    seen: dict[str, None] = {}
    for hit in retriever.search(query, depth):
        seen.setdefault(PurePath(hit.chunk.source).stem, None)
    return list(seen)


def recall_at(ranked: Sequence[str], relevant: Sequence[str], k: int) -> float:
    """Share of the relevant topics found in the first ``k``."""
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: Sequence[str]) -> float:
    """1 / rank of the first relevant topic (0 when none is ranked)."""
    return next((1.0 / i for i, t in enumerate(ranked, 1) if t in relevant), 0.0)


def ndcg_at(ranked: Sequence[str], relevant: Sequence[str], k: int = 10) -> float:
    """Normalized discounted cumulative gain at ``k`` with binary relevance."""
    dcg = sum(1.0 / math.log2(i + 1) for i, t in enumerate(ranked[:k], 1) if t in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal


def score(retriever: Retriever, questions: Sequence[Question]) -> dict[str, float]:
    """Mean ranking metrics over ``questions`` and the query latency percentiles (ms)."""
    if not questions:
        raise ValueError("no questions to score; check the split name")
    retriever.search(questions[0].text, 1)  # warm: lazy loads are not query latency
    rows: list[tuple[float, ...]] = []
    latencies: list[float] = []
    for q in questions:
        t0 = time.perf_counter()
        ranked = rank_topics(retriever, q.text)
        latencies.append((time.perf_counter() - t0) * 1000)
        rows.append(
            (
                recall_at(ranked, q.topics, 1),
                recall_at(ranked, q.topics, 5),
                recall_at(ranked, q.topics, 10),
                reciprocal_rank(ranked, q.topics),
                ndcg_at(ranked, q.topics, 10),
            )
        )
    means = np.mean(np.asarray(rows), axis=0)
    names = ("recall_at_1", "recall_at_5", "recall_at_10", "mrr", "ndcg_at_10")
    out = {name: float(v) for name, v in zip(names, means, strict=True)}
    out["p50_ms"] = float(np.percentile(latencies, 50))
    out["p95_ms"] = float(np.percentile(latencies, 95))
    out["passages"] = float(len(retriever.chunks))
    return out

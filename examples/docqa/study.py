"""The search over chunker × retriever × parameters, and the tables the README reports.

``variant_table`` scores every chunker × retriever at their defaults on both
splits; ``search`` runs ``evaluate.optimize`` on the search split; ``held_out``
scores a config on the held-out questions; ``markdown`` renders rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import hyperflow as hf
from examples.docqa.pipeline import OBJECTIVE, evaluate

__all__ = ["BASELINE", "DEFAULT_SIZES", "held_out", "markdown", "search", "variant_table"]

BASELINE: dict[str, Any] = {"chunks": "fixed", "retriever": "tfidf"}
"""The baseline every search must beat: TF-IDF over the default fixed-size chunks."""

DEFAULT_SIZES: dict[str, Any] = {
    "chunks.fixed.size": 800,
    "chunks.fixed.overlap": 200,
    "chunks.heading.max_chars": 1600,
    "chunks.sentences.window": 8,
    "chunks.sentences.stride": 4,
}
"""Chunk sizes held at their defaults by ``search(sizes=False)``: each distinct chunking
costs one MiniLM pass over the corpus, so a CPU-only search keeps three of them."""

COLUMNS = ("recall_at_1", "recall_at_5", "recall_at_10", "mrr", "ndcg_at_10", "p95_ms")


def scores(
    config: Mapping[str, Any], split: str, topics: Sequence[str] | None = None
) -> dict[str, float]:
    """The ``evaluate`` metrics of ``config`` on ``split``."""
    inputs: dict[str, Any] = {"split": split, "topics": list(topics) if topics else None}
    result = evaluate.run(inputs=inputs, config=dict(config), outputs="metrics", track=False)
    metrics: dict[str, float] = result["metrics"]
    return metrics


def held_out(config: Mapping[str, Any], topics: Sequence[str] | None = None) -> dict[str, float]:
    """The metrics of ``config`` on the held-out questions."""
    return scores(config, "heldout", topics)


def variant_table(
    retrievers: Sequence[str] = ("tfidf", "bm25", "dense", "hybrid"),
    topics: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Every chunker × retriever at default parameters, scored on both splits."""
    rows = []
    chunkers = evaluate.space["chunks"].domain.options  # type: ignore[attr-defined]
    for chunker, retriever in itertools.product(chunkers, retrievers):
        config = {"chunks": chunker, "retriever": retriever}
        for split in ("search", "heldout"):
            rows.append({**config, "split": split, **scores(config, split, topics)})
    return rows


def search(
    n_trials: int = 30,
    *,
    sizes: bool = False,
    fixed: Mapping[str, Any] | None = None,
    topics: Sequence[str] | None = None,
    seed: int = 0,
    study: str | None = None,
    objective: str = OBJECTIVE,
) -> hf.Study:
    """``evaluate.optimize`` (TPE) on the search split, maximizing ``OBJECTIVE``.

    The first trials are every chunker × retriever at its defaults; TPE tunes from there.

    Args:
        sizes: also search chunk sizes (else held at ``DEFAULT_SIZES``).
        fixed: more config keys held constant (e.g. ``{"retriever": "bm25"}``).
        topics: search over these pydoc topics only (and the questions they answer).
        objective: the expression maximized (``"recall_at_5"`` leaves timing noise out).
    """
    held = {**({} if sizes else DEFAULT_SIZES), **(fixed or {})}
    return evaluate.optimize(
        objective=hf.Objective(objective, maximize=True),
        inputs={"split": "search", "topics": list(topics) if topics else None},
        n_trials=n_trials,
        sampler="tpe",
        seed=seed,
        fixed=held,
        study=study,
        warm_start=_every_variant(held),
    )


def _every_variant(held: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each chunker × retriever with every parameter at its default (as ``held`` allows):
    the first trials, so TPE starts from a fair look at every variant."""
    space = evaluate.space
    options = {
        key: [held[key]] if key in held else list(space[key].domain.options)  # type: ignore[attr-defined]
        for key in ("chunks", "retriever")
    }
    configs = []
    for chunker, retriever in itertools.product(*options.values()):
        own = (f"chunks.{chunker}.", f"retriever.{retriever}.")
        params = {k: p.default for k, p in space.items() if k.startswith(own)}
        configs.append({**params, **held, "chunks": chunker, "retriever": retriever})
    return configs


def markdown(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> str:
    """A Markdown table of ``rows`` with the ``keys`` columns, floats to 3 decimals."""

    def cell(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(cell(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines)

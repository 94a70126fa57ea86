"""Pipelines used to judge the layout: the shapes of the examples, a random DAG, nesting.

Shared by ``benchmarks/bench_layout.py`` and ``tests/viz``. Nodes are made from
generated functions so that any wiring can be described in a line.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Annotated, Any

import hyperflow as hf

__all__ = ["SAMPLES", "fn", "random_dag", "sample"]


def fn(
    name: str,
    params: str = "",
    *,
    output: str | None = None,
    variant: str | None = None,
    tunable: dict[str, Any] | None = None,
) -> Callable[..., Any]:
    """A node function ``name(params...)``; ``tunable`` maps a param to ``(space, default)``."""
    names = [p for p in params.replace(",", " ").split() if p]
    tunable = tunable or {}
    sig = ", ".join(names + [f"{t}={d!r}" for t, (_, d) in tunable.items()])
    ns: dict[str, Any] = {}
    exec(f"def {name}({sig}):\n    return 0\n", ns)  # generated test nodes
    f = ns[name]
    f.__annotations__ = {t: Annotated[type(d), space] for t, (space, d) in tunable.items()}
    if output or variant:
        f = hf.node(output=output, variant=variant)(f)
    return f  # type: ignore[no-any-return]


def train() -> hf.Pipeline:
    return hf.Pipeline(
        [
            fn("data", "path"),
            fn("split", "data", tunable={"seed": (hf.Int(0, 9), 0)}),
            fn("scaled", "split", output="features", variant="scaled"),
            fn("poly", "split", output="features", variant="poly",
               tunable={"degree": (hf.Int(2, 3), 2)}),
            fn("model", "features", tunable={"C": (hf.Float(1e-3, 1e3, log=True), 1.0)}),
            fn("metrics", "model features"),
        ],
        name="train",
    )  # fmt: skip


def weather() -> hf.Pipeline:
    return hf.Pipeline(
        [
            fn("raw", "path start end"),
            fn("clean", "raw", tunable={"max_gap": (hf.Int(1, 6), 3)}),
            fn("lags", "clean", output="features", variant="lags",
               tunable={"n_lags": (hf.Int(1, 14), 7)}),
            fn("rolling", "clean", output="features", variant="rolling"),
            fn("calendar", "clean", output="features", variant="calendar"),
            fn("target", "clean horizon"),
            fn("split", "features target", tunable={"test_size": (hf.Float(0.1, 0.4), 0.2)}),
            fn("ridge", "split", output="model", variant="ridge",
               tunable={"alpha": (hf.Float(1e-3, 10.0, log=True), 1.0)}),
            fn("gbm", "split", output="model", variant="gbm",
               tunable={"depth": (hf.Int(2, 8), 4)}),
            fn("predictions", "model split"),
            fn("metrics", "predictions split"),
            fn("report", "metrics predictions clean"),
        ],
        name="weather",
    )  # fmt: skip


def rag() -> hf.Pipeline:
    per_doc = hf.Pipeline(
        [fn("text", "doc"), fn("chunks", "text chunk_size"), fn("embedded", "chunks encoder")],
        name="per_doc",
    )
    return hf.Pipeline(
        [
            fn("encoder", "model_name"),
            per_doc.as_node("ingest", map_over="docs", inputs={"docs": "doc"}),
            fn("index", "embedded"),
            fn("bm25", "query index", output="hits", variant="bm25"),
            fn("dense", "query index encoder", output="hits", variant="dense"),
            fn("reranked", "hits query"),
            fn("answer", "reranked query llm"),
            fn("score", "answer reference"),
        ],
        name="rag",
    )


def nested3() -> hf.Pipeline:
    level3 = hf.Pipeline(
        [fn("tokens", "text"), fn("ngrams", "tokens", tunable={"n": (hf.Int(1, 3), 2)}),
         fn("counts", "ngrams")],
        name="tokenize",
    )  # fmt: skip
    level2 = hf.Pipeline(
        [
            fn("text", "doc"),
            level3.as_node("tokenize"),
            fn("vector", "counts vocab"),
            fn("norm", "vector"),
        ],
        name="featurize",
    )
    return hf.Pipeline(
        [
            fn("vocab", "corpus"),
            level2.as_node("featurize", map_over="docs", inputs={"docs": "doc"}),
            fn("matrix", "norm"),
            fn("model", "matrix labels"),
            fn("metrics", "model matrix labels"),
        ],
        name="nested3",
    )


def fan() -> hf.Pipeline:
    feats = [fn(f"f{i}", "table") for i in range(8)]
    return hf.Pipeline(
        [
            fn("table", "path"),
            *feats,
            fn("wide", " ".join(f"f{i}" for i in range(8))),
            fn("lin", "wide"),
            fn("tree", "wide"),
            fn("knn", "wide"),
            fn("ensemble", "lin tree knn"),
        ],
        name="fan",
    )


def etl() -> hf.Pipeline:
    return hf.Pipeline(
        [
            fn("orders", "orders_path"),
            fn("customers", "customers_path"),
            fn("products", "products_path"),
            fn("clean_orders", "orders"),
            fn("joined", "clean_orders customers"),
            fn("enriched", "joined products"),
            fn("daily", "enriched"),
            fn("by_region", "enriched customers"),
            fn("by_product", "enriched products"),
            fn("anomalies", "daily"),
            fn("dashboard", "daily by_region by_product anomalies"),
            fn("alerts", "anomalies threshold"),
        ],
        name="etl",
    )


def ensemble() -> hf.Pipeline:
    return hf.Pipeline(
        [
            fn("data", "path"),
            fn("folds", "data", tunable={"k": (hf.Int(3, 10), 5)}),
            fn("std", "folds", output="prep", variant="std"),
            fn("minmax", "folds", output="prep", variant="minmax"),
            fn("svm", "prep", tunable={"C": (hf.Float(0.01, 100.0, log=True), 1.0)}),
            fn("forest", "prep", tunable={"trees": (hf.Int(10, 500), 100)}),
            fn("boost", "prep"),
            fn("mlp", "prep"),
            fn("stack", "svm forest boost mlp folds"),
            fn("calibrated", "stack folds"),
            fn("metrics", "calibrated folds"),
        ],
        name="ensemble",
    )


def random_dag(n: int, seed: int = 0, *, window: int = 12) -> hf.Pipeline:
    """A random DAG of ``n`` nodes: each takes 0-3 recent nodes (and sometimes an input)."""
    rng = random.Random(seed)
    funcs = []
    for i in range(n):
        k = rng.choice([0, 1, 1, 2, 2, 3]) if i else 0
        preds = sorted({rng.randrange(max(0, i - window), i) for _ in range(k)}) if i else []
        params = [f"n{j}" for j in preds]
        if not params or rng.random() < 0.1:
            params.append(f"x{rng.randrange(5)}")
        funcs.append(fn(f"n{i}", " ".join(params)))
    return hf.Pipeline(funcs, name=f"random{n}")


SAMPLES: dict[str, tuple[Callable[[], hf.Pipeline], dict[str, Any]]] = {
    "train": (train, {}),
    "weather": (weather, {"config": {"features": "rolling", "model": "gbm"}}),
    "rag": (rag, {}),
    "nested3": (nested3, {}),
    "nested3_depth1": (nested3, {"depth": 1}),
    "fan": (fan, {}),
    "etl": (etl, {}),
    "ensemble": (ensemble, {}),
    "random50": (lambda: random_dag(50, seed=1), {}),
}


def sample(name: str) -> tuple[hf.Pipeline, dict[str, Any]]:
    """The pipeline called ``name`` and the ``visualize`` keywords it is drawn with."""
    build, kwargs = SAMPLES[name]
    return build(), dict(kwargs)

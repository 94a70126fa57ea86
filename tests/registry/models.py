"""Train and predict pipelines for the registry tests (importable by a fresh process)."""

from __future__ import annotations

from typing import Annotated, TypedDict

import hyperflow as hf


class Row(TypedDict):
    x: float
    group: str


def data(n: int = 10) -> list[float]:
    return [float(i) for i in range(n)]


def model(data: list[float], scale: Annotated[float, hf.Float(0.5, 4.0)] = 1.0) -> dict[str, float]:
    return {"slope": scale, "offset": sum(data) / len(data)}


def metrics(model: dict[str, float]) -> dict[str, float]:
    return {"f1": min(1.0, model["slope"] / 4), "latency_ms": 1.0}


def prediction(model: dict[str, float], row: Row) -> float:
    return model["slope"] * row["x"] + model["offset"]


train = hf.Pipeline([data, model, metrics], name="reg-train")
predict = hf.Pipeline([prediction], name="reg-predict")


def frame_data(rows: object) -> list[float]:
    import pandas as pd

    assert isinstance(rows, pd.DataFrame)
    return [float(v) for v in rows["x"]]


frame_train = hf.Pipeline(
    [hf.node(output="data")(frame_data), model, metrics], name="reg-frame-train"
)

"""Small pipelines shared by core and engine tests."""

from __future__ import annotations

from typing import Annotated

import hyperflow as hf

CALLS: list[str] = []


def data(path: str) -> list[float]:
    CALLS.append("data")
    return [float(len(path)), 2.0, 3.0]


def split(data: list[float], seed: int = 0) -> list[float]:
    CALLS.append("split")
    return data[seed:]


@hf.node(output="features", variant="scaled")
def scaled(split: list[float], factor: Annotated[float, hf.Float(0.1, 10.0)] = 1.0) -> list[float]:
    CALLS.append("scaled")
    return [x * factor for x in split]


@hf.node(output="features", variant="poly")
def poly(split: list[float], degree: Annotated[int, hf.Int(2, 3)] = 2) -> list[float]:
    CALLS.append("poly")
    return [x**degree for x in split]


def model(
    features: list[float],
    C: Annotated[float, hf.Float(1e-3, 1e3, log=True)] = 1.0,
    kind: Annotated[str, hf.Choice("lr", "rf")] = "lr",
) -> float:
    CALLS.append("model")
    return sum(features) * C


def metrics(model: float) -> dict[str, float]:
    CALLS.append("metrics")
    return {"score": model}


def report(data: list[float]) -> str:
    CALLS.append("report")
    return f"{len(data)} rows"


def train() -> hf.Pipeline:
    return hf.Pipeline([data, split, scaled, poly, model, metrics, report], name="train")

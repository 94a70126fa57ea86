"""A small train/predict pair for the retrain tests: a CSV of labelled points.

``features`` depends on config only, so a refit on new data keeps it cached while
``rows``, ``split``, ``model`` and ``metrics`` recompute.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypedDict

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline as SkPipeline
from sklearn.pipeline import make_pipeline

import hyperflow as hf
from hyperflow.testing import Suite, mft

COLUMNS = ["x1", "x2"]


class Point(TypedDict):
    x1: float
    x2: float


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    test: pd.DataFrame


def write_rows(path: Path, *, n: int = 300, seed: int = 0, flip: float = 0.0) -> Path:
    """Labelled points (label = x1 + x2 > 0), a ``flip`` share of labels inverted."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    label = (x[:, 0] + x[:, 1] > 0).astype(int)
    flipped = rng.random(n) < flip
    label[flipped] = 1 - label[flipped]
    group = np.where(np.arange(n) % 2 == 0, "a", "b")
    frame = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "group": group, "label": label})
    frame.to_csv(path, index=False)
    return path


def rows(path: str) -> pd.DataFrame:
    return pd.read_csv(path)


def split(rows: pd.DataFrame) -> Split:
    cut = int(len(rows) * 0.7)
    return Split(rows.iloc[:cut], rows.iloc[cut:])


def features(scale: Annotated[float, hf.Float(0.5, 2.0)] = 1.0) -> float:
    return scale


def model(
    split: Split, features: float, C: Annotated[float, hf.Float(1e-3, 10.0, log=True)] = 1.0
) -> SkPipeline:
    """Logistic regression on the two measurement columns of a frame (others ignored)."""
    select = ColumnTransformer([("x", "passthrough", COLUMNS)])
    est = make_pipeline(select, LogisticRegression(C=C * features))
    return est.fit(split.train, split.train["label"])


def metrics(model: SkPipeline, split: Split) -> dict[str, float]:
    predicted = model.predict(split.test)
    return {"accuracy": float((predicted == split.test["label"]).mean())}


train = hf.Pipeline([rows, split, features, model, metrics], name="points-train")


def prediction(model: SkPipeline, point: Point) -> int:
    return int(model.predict(pd.DataFrame([point]))[0])


predict = hf.Pipeline([prediction], name="points-predict")

suite = Suite("points", [mft([({"x1": 3.0, "x2": 3.0}, 1), ({"x1": -3.0, "x2": -3.0}, 0)])])

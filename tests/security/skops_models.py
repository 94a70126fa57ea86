"""Pipelines whose fitted artifact is a scikit-learn estimator, or a plain Python object."""

from __future__ import annotations

from typing import TypedDict

from sklearn.linear_model import LogisticRegression

import hyperflow as hf


class Row(TypedDict):
    x: float


def points() -> list[float]:
    return [float(i) for i in range(20)]


def model(points: list[float]) -> LogisticRegression:
    return LogisticRegression().fit([[p] for p in points], [int(p >= 10) for p in points])


def label(model: LogisticRegression, row: Row) -> int:
    return int(model.predict([[row["x"]]])[0])


class Threshold:
    """A custom object: stored with (cloud)pickle, whose loading can run code."""

    def __init__(self, at: float) -> None:
        self.at = at


def rule(points: list[float]) -> Threshold:
    return Threshold(sum(points) / len(points))


def apply_rule(rule: Threshold, row: Row) -> int:
    return int(row["x"] >= rule.at)


train = hf.Pipeline([points, model], name="sk-train")
predict = hf.Pipeline([label], name="sk-predict")
train_rule = hf.Pipeline([points, rule], name="rule-train")
predict_rule = hf.Pipeline([apply_rule], name="rule-predict")

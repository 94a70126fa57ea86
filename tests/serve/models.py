"""Small predict pipelines served by the tests (real pipelines, real Predictors)."""

from __future__ import annotations

import threading
import time
from typing import TypedDict

import hyperflow as hf
from hyperflow.registry import Predictor


class House(TypedDict):
    rooms: int
    area: float


def price(coef: float, house: House) -> float:
    """A linear price."""
    return coef * house["rooms"] + house["area"]


def size_label(threshold: float, house: House) -> str:
    """'big' or 'small'; rejects a negative area like a real model would."""
    if house["area"] < 0:
        raise ValueError(f"area must be >= 0, got {house['area']}")
    return "big" if house["area"] >= threshold else "small"


class Calls:
    """Counts pipeline calls and their sizes (thread safe)."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.lock = threading.Lock()

    def add(self, n: int) -> None:
        with self.lock:
            self.sizes.append(n)


BATCH_CALLS = Calls()


def prices(coef: float, delay_s: float, houses: list[House]) -> list[float]:
    """Batchable: one call for many rows (records each call's size)."""
    BATCH_CALLS.add(len(houses))
    time.sleep(delay_s)
    return [coef * h["rooms"] + h["area"] for h in houses]


def price_predictor(coef: float = 10.0, version: str = "1.0.0") -> Predictor:
    return Predictor(
        hf.Pipeline([price], name="house"),
        {"coef": coef},
        name="house",
        version=version,
        alias="production",
        code_version="abc123",
    )


def label_predictor(threshold: float = 50.0) -> Predictor:
    return Predictor(
        hf.Pipeline([size_label], name="size"), {"threshold": threshold}, version="2.1.0"
    )


def batch_predictor(delay_s: float = 0.0, coef: float = 1.0) -> Predictor:
    return Predictor(
        hf.Pipeline([prices], name="prices"),
        {"coef": coef, "delay_s": delay_s},
        name="house",
        version="1.0.0",
    )


class MovableSource:
    """A ModelSource whose reference can be moved, like an alias (``point_to``)."""

    def __init__(self, versions: dict[str, Predictor], current: str) -> None:
        self.versions = versions
        self.target = current
        self.loads = 0
        self.fail_with: Exception | None = None

    def point_to(self, version: str) -> None:
        self.target = version

    def current(self) -> str:
        return self.target

    def load(self) -> Predictor:
        if self.fail_with is not None:
            raise self.fail_with
        self.loads += 1
        return self.versions[self.target]


house_predict = hf.Pipeline([price], name="house-predict")
"""Module level, so the registry can import it by reference."""

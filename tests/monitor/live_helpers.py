"""Shared set-up of the live monitoring tests: a registered model and logged traffic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

import hyperflow as hf
from hyperflow.monitor import AlertConfig, MonitorConfig
from hyperflow.store import FeedbackRecord, PredictionRecord, SQLPredictionLog
from tests.registry import models

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def reference(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n), "group": rng.choice(["a", "b"], n)})


def registered(store_url: str, *, with_reference: bool = True) -> str:
    r = models.train.run(config={"model.scale": 1.0}, outputs=["model", "metrics"], track=store_url)
    mv = hf.registry.register(
        "m", run_id=str(r.run_id), predict=models.predict, store=store_url,
        reference=reference() if with_reference else None,
    )
    hf.registry.set_alias("m", "production", mv.version, store=store_url)
    return mv.version


def log_traffic(
    store_url: str, version: str, *, start: datetime, n: int, shift: float = 0.0,
    seed: int = 1, error: float = 0.0, prefix: str = "r",
) -> None:
    rng = np.random.default_rng(seed)
    log = SQLPredictionLog(store_url)
    x = rng.normal(size=n) + shift
    recs, fb = [], []
    for i in range(n):
        rid = f"{prefix}{seed}-{i}"
        ts = start + timedelta(seconds=i)
        row = {"row": {"x": float(x[i]), "group": str(rng.choice(["a", "b"]))}}
        recs.append(PredictionRecord(rid, "m", version, ts, 2.0 + i % 5, json.dumps(row),
                                     json.dumps(float(x[i]))))
        fb.append(FeedbackRecord(rid, json.dumps(float(x[i]) + error + 0.1), ts))
    log.write(recs)
    log.write_feedback(fb)


def config(*alerts: AlertConfig, **kw: object) -> MonitorConfig:
    cfg = MonitorConfig(**kw)  # type: ignore[arg-type]
    cfg.channels = {"log": {"type": "log"}, **cfg.channels}
    cfg.alerts = list(alerts)
    return cfg

"""Shared set-up of the rollout and agent tests: two registered versions and arm traffic."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import hyperflow as hf
from hyperflow.store import FeedbackRecord, PredictionRecord, get_prediction_log
from tests.registry import models


def two_versions(store_url: str, name: str = "m") -> tuple[str, str]:
    """``production`` -> the first version, ``candidate`` -> the second."""
    out = []
    for scale in (1.0, 2.0):
        r = models.train.run(config={"model.scale": scale}, outputs=["model", "metrics"],
                             track=store_url)
        mv = hf.registry.register(name, run_id=str(r.run_id), predict=models.predict,
                                  store=store_url)
        out.append(mv.version)
    hf.registry.set_alias(name, "production", out[0], store=store_url)
    hf.registry.set_alias(name, "candidate", out[1], store=store_url)
    return out[0], out[1]


def log_arm(
    store_url: str, version: str, arm: str, *, n: int, error: float = 0.0,
    status: int = 200, at: float | None = None, name: str = "m", prefix: str = "",
    feedback: bool = True,
) -> None:
    """``n`` answered requests of ``version`` on ``arm``; feedback off by ``error``
    (``store_url`` ``""``: the project's store)."""
    log = get_prediction_log(store_url or None)
    ts = datetime.fromtimestamp(at if at is not None else time.time(), UTC)
    recs, fb = [], []
    for i in range(n):
        rid = f"{prefix}{arm}{version}-{i}-{time.monotonic_ns()}"
        out = "null" if status >= 500 else json.dumps(float(i))
        recs.append(PredictionRecord(rid, name, version, ts, 3.0, "{}", out, arm, status))
        fb.append(FeedbackRecord(rid, json.dumps(float(i) + error), ts))
    log.write(recs)
    if feedback:
        log.write_feedback(fb)

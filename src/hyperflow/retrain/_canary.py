"""Canary analysis: per arm of a rollout, from the prediction log and its feedback.

Figures per arm (``primary``: the champion; ``canary`` or ``shadow``: the challenger),
over the rows its version answered since the step started: request count, error rate
(HTTP status >= 500), latency p99, and the live metric from feedback (accuracy, or MAE
for numeric targets; the same code as ``hf.monitor``). The checks compare the
challenger to the champion:

* **errors**: challenger error rate <= champion's + ``max_error_rate`` (judged from
  :data:`MIN_ERROR_REQUESTS` requests on, at every tick: a crashing version is caught
  within an interval);
* **latency**: challenger p99 <= ``max_latency_ratio`` x champion's p99;
* **requests**: the challenger answered ``min_requests`` (fewer: *wait*, not fail);
* **metric**: with ``min_feedback`` labelled requests on each arm (fewer: *wait*),
  the challenger's live metric is not worse than the champion's by more than
  ``max_metric_drop`` (a share).
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa

from hyperflow.monitor._figures import performance_figures
from hyperflow.retrain._config import RolloutConfig
from hyperflow.store import SQLStore, get_store
from hyperflow.store import _schema as S

__all__ = ["MIN_ERROR_REQUESTS", "Analysis", "ArmFigures", "Check", "Verdict", "analyse",
           "arm_counts", "arm_figures"]

#: Requests of the challenger before its error rate is judged.
MIN_ERROR_REQUESTS = 10


class Verdict(enum.StrEnum):
    """An analysis' outcome: the checks ``pass``, one ``fail``\\ s, or there is too little
    data and the rollout must ``wait``."""

    PASS = "pass"
    FAIL = "fail"
    WAIT = "wait"


@dataclass(frozen=True)
class ArmFigures:
    """What one arm's version did in the window."""

    arm: str
    version: str
    requests: int = 0
    errors: int = 0
    latency_p99_ms: float | None = None
    feedback: int = 0
    metric: str | None = None
    value: float | None = None

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Check:
    """One check's verdict with its figures (``limit``: what the challenger had to meet)."""

    name: str
    verdict: Verdict
    value: float | None = None
    limit: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Analysis:
    """All checks of one analysis; ``verdict`` is ``fail`` if any failed, else ``wait``
    if any waits, else ``pass``."""

    verdict: Verdict
    checks: tuple[Check, ...]
    arms: dict[str, ArmFigures]

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "checks": [{**asdict(c), "verdict": c.verdict.value} for c in self.checks],
            "arms": {k: {**asdict(v), "error_rate": v.error_rate} for k, v in self.arms.items()},
        }

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.verdict is Verdict.FAIL]


def _arm_filter(q: Any, name: str, version: str, arm: str, since: float) -> Any:
    p = S.predictions
    q = q.where(p.c.model == name, p.c.version == version, p.c.timestamp >= since)
    if arm == "shadow":
        return q.where(p.c.arm == arm)
    return q.where(sa.or_(p.c.arm.is_(None), p.c.arm != "shadow"))


def _rows(store: SQLStore, name: str, version: str, arm: str, since: float) -> list[Any]:
    p, f = S.predictions, S.feedback
    q = sa.select(p.c.status, p.c.latency_ms, p.c.output, f.c.ground_truth).select_from(
        p.outerjoin(f, p.c.request_id == f.c.request_id)
    )
    with store.engine.connect() as conn:
        return list(conn.execute(_arm_filter(q, name, version, arm, since)).all())


def _sql(store: Any) -> SQLStore:
    sql = get_store(store)
    if not isinstance(sql, SQLStore):
        raise TypeError(f"canary analysis needs a SQL store, got {type(sql).__name__}")
    return sql


def arm_counts(
    name: str, arms: dict[str, str], *, since: float, store: Any = None
) -> dict[str, ArmFigures]:
    """Only requests and errors per arm, counted by the database (the cheap per-tick read)."""
    p = S.predictions
    failed = sa.func.sum(sa.case((p.c.status >= 500, 1), else_=0))
    out = {}
    with _sql(store).engine.connect() as conn:
        for arm, version in arms.items():
            q = _arm_filter(sa.select(sa.func.count(), failed), name, version, arm, since)
            n, errors = conn.execute(q).one()
            out[arm] = ArmFigures(arm, version, int(n or 0), int(errors or 0))
    return out


def _figures(arm: str, version: str, rows: list[Any]) -> ArmFigures:
    if not rows:
        return ArmFigures(arm, version)
    errors = sum(1 for r in rows if r.status is not None and r.status >= 500)
    ok = [r for r in rows if r.status is None or r.status < 500]
    lat = np.fromiter((r.latency_ms for r in rows), float, len(rows))
    labelled = [r for r in ok if r.ground_truth is not None]
    perf = performance_figures(
        [_label(json.loads(r.output)) for r in labelled],
        [json.loads(r.ground_truth) for r in labelled], len(ok),
    )
    metric = "accuracy" if "metrics.accuracy" in perf else "mae" if "metrics.mae" in perf else None
    return ArmFigures(
        arm, version, len(rows), errors, float(np.percentile(lat, 99)), len(labelled), metric,
        None if metric is None else float(perf[f"metrics.{metric}"]),
    )


def _label(value: Any) -> Any:
    if isinstance(value, dict) and "prediction" in value:
        value = value["prediction"]
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def arm_figures(
    name: str, arms: dict[str, str], *, since: float, store: Any = None
) -> dict[str, ArmFigures]:
    """Figures of each arm (``{"primary": "1.0.0", "canary": "1.1.0"}``) since ``since``."""
    sql = _sql(store)
    return {
        arm: _figures(arm, version, _rows(sql, name, version, arm, since))
        for arm, version in arms.items()
    }


def error_check(champ: ArmFigures, chall: ArmFigures, cfg: RolloutConfig) -> Check:
    """The challenger's error rate against the champion's (judged from a few requests on)."""
    limit = champ.error_rate + cfg.max_error_rate
    if chall.requests < min(MIN_ERROR_REQUESTS, cfg.min_requests):
        return Check("errors", Verdict.WAIT, chall.error_rate, limit,
                     f"{chall.requests} requests < {MIN_ERROR_REQUESTS}")
    verdict = Verdict.FAIL if chall.error_rate > limit else Verdict.PASS
    return Check("errors", verdict, chall.error_rate, limit,
                 f"{chall.errors} errors in {chall.requests} requests")


def _latency(champ: ArmFigures, chall: ArmFigures, cfg: RolloutConfig) -> Check:
    if champ.latency_p99_ms is None or chall.latency_p99_ms is None:
        return Check("latency_p99", Verdict.WAIT, note="no requests on one arm yet")
    limit = cfg.max_latency_ratio * max(champ.latency_p99_ms, 1.0)
    verdict = Verdict.FAIL if chall.latency_p99_ms > limit else Verdict.PASS
    return Check("latency_p99", verdict, chall.latency_p99_ms, limit, "ms")


def _metric(champ: ArmFigures, chall: ArmFigures, cfg: RolloutConfig) -> Check:
    need = cfg.min_feedback
    if min(champ.feedback, chall.feedback) < need or chall.value is None or champ.value is None:
        return Check("metric", Verdict.WAIT, chall.value, None,
                     f"feedback {chall.feedback} (challenger) / {champ.feedback} (champion) "
                     f"< {need}")
    if chall.metric == "mae":  # lower is better
        limit = champ.value * (1 + cfg.max_metric_drop)
        verdict = Verdict.FAIL if chall.value > limit else Verdict.PASS
    else:
        limit = champ.value * (1 - cfg.max_metric_drop)
        verdict = Verdict.FAIL if chall.value < limit else Verdict.PASS
    return Check("metric", verdict, chall.value, limit,
                 f"{chall.metric}: champion {champ.value:.4g}")


def analyse(arms: dict[str, ArmFigures], challenger: str, cfg: RolloutConfig) -> Analysis:
    """All checks of the challenger arm (``canary`` or ``shadow``) against ``primary``."""
    champ, chall = arms["primary"], arms[challenger]
    requests = Check(
        "requests", Verdict.PASS if chall.requests >= cfg.min_requests else Verdict.WAIT,
        float(chall.requests), float(cfg.min_requests),
        f"{chall.requests} of {cfg.min_requests} requests",
    )
    checks = (error_check(champ, chall, cfg), _latency(champ, chall, cfg), requests,
              _metric(champ, chall, cfg))
    verdicts = {c.verdict for c in checks}
    verdict = (
        Verdict.FAIL if Verdict.FAIL in verdicts
        else Verdict.WAIT if Verdict.WAIT in verdicts else Verdict.PASS
    )
    return Analysis(verdict, checks, arms)

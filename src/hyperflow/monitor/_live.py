"""``hf.monitor.check``: one window of live traffic against the version's reference.

A check reads the prediction log for the version behind ``name@alias``, tests input,
prediction and target drift against the stored reference profile (or the version's
first ``reference_rows`` predictions when none was stored, and says so), computes
traffic and performance figures, evaluates the alert rules, stores the check in one
transaction and hands firing rules to the alert manager.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from hyperflow._errors import MonitorError
from hyperflow.monitor._calibrate import (
    Calibration,
    calibrate,
    decision_size,
    window_statistic,
)
from hyperflow.monitor._config import MonitorConfig, monitor_config, parse_duration
from hyperflow.monitor._detector import DriftDetector
from hyperflow.monitor._figures import check_rule, performance_figures, traffic_figures
from hyperflow.monitor._profile import _detector, detector_from_bytes
from hyperflow.monitor._read import Window, read_window
from hyperflow.monitor._report import DriftReport
from hyperflow.store import (
    CheckRecord,
    MonitorStore,
    PredictionLog,
    get_monitor_store,
    get_prediction_log,
    get_store,
)

__all__ = ["Check", "check", "history", "resolve_target", "stored_calibration"]


@dataclass
class Check:
    """The result of one check: stored record, drift report and notes (e.g. on the reference)."""

    record: CheckRecord
    drift: DriftReport | None
    notes: list[str] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def figures(self) -> dict[str, Any]:
        return self.record.figures

    def __repr__(self) -> str:
        f = self.record.figures
        return (
            f"Check({self.record.target!r}, requests={f.get('requests')}, "
            f"drift.share={f.get('drift.share')}, version={self.record.version!r})"
        )


def resolve_target(target: str, store: Any = None) -> tuple[str, str | None]:
    """``name@alias`` / ``name:version`` / ``name`` → (name, version or ``None``)."""
    if "@" in target:
        name, alias = target.split("@", 1)
        return name, get_store(store).registry_store().resolve_alias(name, alias)
    if ":" in target:
        name, version = target.split(":", 1)
        return name, version
    return target, None


def _reference(
    mon: MonitorStore, log: PredictionLog, name: str, version: str | None, cfg: MonitorConfig,
    notes: list[str], outputs_as_columns: bool = False,
) -> tuple[DriftDetector | None, str | None]:
    """The version's detector and a cache key of its profile (``None``: not stored)."""
    if version is not None:
        stored = mon.get_reference(name, version)
        if stored is not None:
            return detector_from_bytes(stored.data), hashlib.sha256(stored.data).hexdigest()
    first = read_window(
        log, name, versions=None if version is None else [version], since=None, until=None,
        last=None, max_rows=cfg.reference_rows, chunk_size=cfg.chunk_size,
        head=cfg.reference_rows, outputs_as_columns=outputs_as_columns,
    )
    if not first.sample_inputs:
        notes.append("no reference: none was stored and no predictions are logged yet")
        return None, None
    frame = first.sample_frame().iloc[: cfg.reference_rows]
    frame = frame.drop(columns=[c for c in cfg.exclude if c in frame.columns])
    notes.append(
        f"reference: the first {len(frame)} logged predictions of version {version} "
        "(none was stored with the version; register(..., reference=...) stores one)"
    )
    return _detector(cfg).fit(frame), None


def stored_calibration(
    det: DriftDetector, n: int, cfg: MonitorConfig, key: str | None, mon: MonitorStore,
    ref: tuple[str, str | None],
) -> Calibration:
    """The calibrated threshold at ``n``, read from (or, the first time, kept with) the
    version's stored profile, so only the first check of a size pays for resampling."""
    slot = f"{n}|{cfg.false_alarm_rate}|{cfg.calibration_windows}"
    name, version = ref
    if key is not None and version is not None:
        known = mon.get_calibration(name, version)
        if slot in known:
            return Calibration(known[slot], n, cfg.false_alarm_rate, cfg.calibration_windows)
    cal = calibrate(det, n, rate=cfg.false_alarm_rate, windows=cfg.calibration_windows, key=key)
    if key is not None and version is not None:
        mon.add_calibration(name, version, slot, cal.threshold)
    return cal


def _drift_figures(
    det: DriftDetector, w: Window, cfg: MonitorConfig, key: str | None, mon: MonitorStore,
    ref: tuple[str, str | None],
) -> tuple[DriftReport, dict[str, Any]]:
    frame = w.sample_frame()
    size = decision_size(len(frame), cfg.max_test_rows)
    if len(frame) > size:  # decided on a uniform sample of a calibrated size
        frame = frame.sample(size, random_state=0)
    keep = [c for c in frame.columns if c in (det.profiles_ or {})]
    report = det.score(frame[keep])
    cal = stored_calibration(det, size, cfg, key, mon, ref)
    tested = [c for c in report.tested if c.role == "feature"]
    drifted = [c for c in tested if c.severity > cal.threshold]
    statistic = window_statistic(report)
    every = parse_duration(cfg.every, "every") if cfg.every else None
    figures: dict[str, Any] = {
        "drift.columns": len(tested), "drift.count": len(drifted),
        "drift.share": len(drifted) / len(tested) if tested else 0.0,
        "drift.dataset": float(bool(tested) and len(drifted) / len(tested) >= cfg.drift_share),
        "drift.max_severity": statistic, "drift.statistic": statistic,
        "drift.threshold": cal.threshold, "drift.alarm": float(statistic > cal.threshold),
        "drift.tests_drifted": float(sum(c.drifted for c in tested)),
        "drift.false_alarms_per_week": cal.per_week(every),
        "reference.rows": report.n_reference,
    }
    for role in ("prediction", "target"):
        col = report.columns.get(role)
        if col is not None and col.status == "ok":
            figures[f"drift.{role}"] = float(col.drifted)
    figures["drift.top"] = [
        {"column": c.name, "test": c.test, "score": c.score, "p_value": c.p_value_adjusted,
         "severity": c.severity, "drifted": c.severity > cal.threshold}
        for c in sorted(tested, key=lambda c: -c.severity)[: cfg.top_columns]
    ]
    return report, figures


def _bounds(
    window: str | None, last: int | None, until: datetime | None, cfg: MonitorConfig
) -> tuple[datetime | None, datetime, int | None]:
    end = until or datetime.now(UTC)
    if last is None and window is None:
        window, last = cfg.window, cfg.last
    if last is not None:
        return None, end, last
    span = parse_duration(window or "1d", "window")
    return end - timedelta(seconds=span), end, None


def _write_report(report: DriftReport | None, cfg: MonitorConfig, key: str) -> str | None:
    if report is None or cfg.report_dir is None:
        return None
    folder = Path(cfg.report_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.html"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(report.to_html(), encoding="utf-8")
    tmp.replace(path)  # atomic: no half-written report
    return str(path)


def check(
    target: str, *, window: str | None = None, last: int | None = None,
    until: datetime | None = None, store: Any = None, log: PredictionLog | str | None = None,
    config: MonitorConfig | None = None, save: bool = True, notify: bool = True,
    endpoint: str | None = None,
) -> Check:
    """Check one window of live traffic of ``target`` (``"weather@production"``).

    Args:
        window: a duration ending at ``until`` (``"1d"``); or ``last``: the most recent rows.
        until: end of the window (default: now).
        store: the metadata store (default: the project's); ``log``: the prediction log
            (default: the one in ``store``).
        config: monitoring settings (default: ``[tool.hyperflow.monitor]``).
        save: store the check (and run the alert rules when ``notify``).
        endpoint: for a service (``hf.Service``), the endpoint whose requests to check
            (its log rows ``"<service>/<endpoint>"``); a mapping output is tested per
            key as ``output.<key>`` columns, so a logged query embedding is tested with
            MMD. Without a stored reference, the endpoint's first logged requests are it.
    """
    cfg = config or monitor_config()
    name, version = resolve_target(target, store)
    if endpoint is not None:
        name, target = f"{name}/{endpoint}", f"{target}/{endpoint}"
    plog = get_prediction_log(log if log is not None else (store if store is not None else None))
    mon = get_monitor_store(store)
    since, end, n_last = _bounds(window, last, until, cfg)
    notes: list[str] = []
    w = read_window(
        plog, name, versions=None if version is None else [version], since=since, until=end,
        last=n_last, max_rows=int(cfg.max_test_rows * 1.1) + 50, chunk_size=cfg.chunk_size,
        outputs_as_columns=endpoint is not None,
    )
    figures: dict[str, Any] = traffic_figures(_cat(w), w.errors)
    figures.update(performance_figures(w.truth_predicted, w.truth, w.n))
    report = None
    det, key = _reference(mon, plog, name, version, cfg, notes, endpoint is not None)
    if det is not None and w.sample_inputs:
        report, drift = _drift_figures(det, w, cfg, key, mon, (name, version))
        figures.update(drift)
    start = since.timestamp() if since is not None else (w.first or end.timestamp())
    stop = end.timestamp() if n_last is None else (w.last or end.timestamp())
    rules = {a.name: check_rule(a.when)(figures) for a in cfg.alerts}
    key = f"{name}-{version}-{int(start)}-{int(stop)}"
    record = CheckRecord(
        name, target, version, start, stop, figures, rules, _write_report(report, cfg, key),
        time.time(),
    )
    result = Check(record, report, notes)
    if not save:
        return result
    cid = mon.add_check(record)
    result.record = CheckRecord(**{**record.__dict__, "check_id": cid})
    if notify and cfg.alerts:
        from hyperflow.monitor._alerts import AlertManager

        result.alerts = AlertManager(cfg, mon, store).process(result.record, report)
    return result


def _cat(w: Window) -> Any:
    import numpy as np

    return np.concatenate(w.latency) if w.latency else np.zeros(0)


def history(target: str, *, store: Any = None, limit: int | None = None) -> pd.DataFrame:
    """Past checks of a model (``"weather"``) or target (``"weather@production"``), oldest first.

    One row per check: ``check_id``, ``version``, ``window_start``, ``window_end`` (UTC),
    the figures as columns, and ``report``.
    """
    rows = []
    for c in get_monitor_store(store).checks(target, limit=limit):
        flat = {k: v for k, v in c.figures.items() if not isinstance(v, list)}
        rows.append({
            "check_id": c.check_id, "target": c.target, "version": c.version,
            "window_start": pd.Timestamp(c.window_start, unit="s", tz="UTC"),
            "window_end": pd.Timestamp(c.window_end, unit="s", tz="UTC"),
            **flat, "report": c.report,
        })
    if not rows and target.split("@")[0] == "":
        raise MonitorError(f"no model name in {target!r}; pass e.g. 'weather'")
    return pd.DataFrame(rows)

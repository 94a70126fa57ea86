"""``[tool.hyperflow.monitor]`` and ``[[tool.hyperflow.alerts]]``: validated, with "did you mean".

Example (``pyproject.toml``)::

    [tool.hyperflow.monitor]
    window = "1d"              # or last = 1000
    every = "1h"
    target = "weather"         # the label column of the reference
    exclude = ["date"]
    reference_rows = 500       # first N predictions are the reference when none was stored
    false_alarm_rate = 0.01    # per window, calibrated on the reference

    [tool.hyperflow.monitor.channels.team]
    type = "webhook"
    url = "https://hooks.slack.com/services/..."
    secret_env = "HF_WEBHOOK_SECRET"

    [[tool.hyperflow.alerts]]
    name = "accuracy-drop"
    when = "metrics.accuracy < 0.45 and feedback.count >= 100"
    for = 2
    severity = "critical"
    cooldown = "6h"
    channels = ["team"]
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyperflow._errors import ConfigError

__all__ = [
    "ALERT_KEYS",
    "CHANNEL_KEYS",
    "MONITOR_KEYS",
    "SEVERITIES",
    "AlertConfig",
    "MonitorConfig",
    "check_keys",
    "from_tables",
    "monitor_config",
    "parse_duration",
]

MONITOR_KEYS: dict[str, type | tuple[type, ...]] = {
    "window": str, "last": int, "every": str, "alpha": float, "correction": str,
    "drift_share": float, "categorical": list, "exclude": list, "target": str,
    "prediction": str, "reference_rows": int, "false_alarm_rate": float,
    "calibration_windows": int, "report_dir": str, "channels": dict, "top_columns": int,
    "chunk_size": int, "max_test_rows": int,
}
ALERT_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str, "when": str, "for": int, "severity": str, "cooldown": str,
    "channels": list, "description": str,
}
CHANNEL_KEYS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "log": {"type": str},
    "webhook": {"type": str, "url": str, "secret": str, "secret_env": str, "timeout": float,
                "retries": int, "backoff": float, "format": str},
    "email": {"type": str, "host": str, "port": int, "sender": str, "to": list,
              "starttls": bool, "ssl": bool, "username": str, "password_env": str,
              "timeout": float, "retries": int, "backoff": float},
}
SEVERITIES = ("info", "warning", "critical")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str | float | int, what: str = "duration") -> float:
    """``"90s"``, ``"15m"``, ``"1h"``, ``"1d"``, ``"2w"`` (or seconds) → seconds."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", str(text))
    if m is None:
        raise ConfigError(
            f"{what} must look like '30s', '15m', '1h', '1d' or '2w', but got {text!r}"
        )
    return float(m.group(1)) * _UNITS[m.group(2)]


def check_keys(
    table: dict[str, Any], schema: dict[str, type | tuple[type, ...]], where: str
) -> None:
    """Unknown keys ("did you mean") and wrong types are ``ConfigError``s naming ``where``."""
    for key, value in table.items():
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), 1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"unknown key {key!r} in {where}{hint} (known keys: {', '.join(sorted(schema))})"
            )
        expected = schema[key]
        ok = isinstance(value, expected) and not (
            isinstance(value, bool) and expected in (int, float)
        )
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise ConfigError(f"{key} in {where} must be {expected}, but got {value!r}")


@dataclass
class AlertConfig:
    """One ``[[tool.hyperflow.alerts]]`` entry."""

    name: str
    when: str
    for_: int = 1
    severity: str = "warning"
    cooldown: float = 3600.0
    channels: list[str] = field(default_factory=lambda: ["log"])
    description: str = ""


@dataclass
class MonitorConfig:
    """``[tool.hyperflow.monitor]`` with its defaults."""

    window: str | None = None
    last: int | None = None
    every: str | None = None
    alpha: float = 0.05
    correction: str = "fdr"
    drift_share: float = 0.5
    categorical: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    target: str | None = None
    prediction: str | None = None
    reference_rows: int = 500
    false_alarm_rate: float = 0.01
    calibration_windows: int = 100
    report_dir: str | None = None
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    top_columns: int = 5
    chunk_size: int = 100_000
    max_test_rows: int = 5_000
    alerts: list[AlertConfig] = field(default_factory=list)
    file: str = "the project config"


def _alert(entry: Any, i: int, where: str, channels: set[str]) -> AlertConfig:
    at = f"[[tool.hyperflow.alerts]] #{i + 1} of {where}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{at} must be a table, but got {entry!r}")
    check_keys(entry, ALERT_KEYS, at)
    for key in ("name", "when"):
        if key not in entry:
            raise ConfigError(f"{at} has no {key!r}; add e.g. {key} = \"...\"")
    severity = entry.get("severity", "warning")
    if severity not in SEVERITIES:
        raise ConfigError(f"severity {severity!r} in {at} is not one of {SEVERITIES}")
    names = list(entry.get("channels", ["log"]))
    for n in names:
        if n not in channels:
            close = difflib.get_close_matches(n, sorted(channels), 1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"unknown channel {n!r} in {at}{hint} (channels: {sorted(channels)})")
    return AlertConfig(
        entry["name"], entry["when"], int(entry.get("for", 1)), severity,
        parse_duration(entry.get("cooldown", "1h"), f"cooldown of {at}"), names,
        entry.get("description", ""),
    )


def _channels(raw: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {"log": {"type": "log"}}
    for name, spec in raw.items():
        at = f"[tool.hyperflow.monitor.channels.{name}] of {where}"
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in CHANNEL_KEYS:
            raise ConfigError(f"{at} needs type = one of {sorted(CHANNEL_KEYS)}, got {kind!r}")
        check_keys(spec, CHANNEL_KEYS[kind], at)
        out[name] = dict(spec)
    return out


def from_tables(monitor: dict[str, Any], alerts: list[Any], where: str) -> MonitorConfig:
    """Validate the two tables (``where`` names the file in errors) into a config."""
    at = f"[tool.hyperflow.monitor] of {where}"
    check_keys(monitor, MONITOR_KEYS, at)
    if "window" in monitor and "last" in monitor:
        raise ConfigError(f"{at} sets both window and last; keep one")
    for key in ("window", "every"):
        if key in monitor:
            parse_duration(monitor[key], f"{key} in {at}")
    channels = _channels(monitor.get("channels", {}), where)
    values = {k: v for k, v in monitor.items() if k != "channels"}
    cfg = MonitorConfig(**values, channels=channels, file=where)
    cfg.alerts = [_alert(a, i, where, set(channels)) for i, a in enumerate(alerts)]
    from hyperflow.monitor._figures import check_rule

    for a in cfg.alerts:
        check_rule(a.when, f" (alert {a.name!r} in {where})")
    return cfg


def monitor_config(start: str | Path | None = None) -> MonitorConfig:
    """The monitoring config of the project around ``start`` (defaults when there is none)."""
    from hyperflow.store import find_project_root, project_config

    root = find_project_root(start)
    if root is None:
        return MonitorConfig()
    cfg = project_config(root)
    own = root / "hyperflow.toml"
    where = str(own if own.is_file() else root / "pyproject.toml")
    alerts = cfg.get("alerts", [])
    if not isinstance(alerts, list):
        raise ConfigError(
            f"alerts in {where} must be an array of tables ([[tool.hyperflow.alerts]])"
        )
    return from_tables(dict(cfg.get("monitor", {})), alerts, where)

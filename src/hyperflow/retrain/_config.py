"""``[tool.hyperflow.rollout]`` and the trigger/agent keys of ``[tool.hyperflow.retrain]``
and ``[tool.hyperflow.agent]``: validated, with "did you mean".

Example (``pyproject.toml``)::

    [tool.hyperflow.rollout]
    steps = [10, 50, 100]      # canary percent per step; reaching 100 promotes
    interval = "10m"           # analysis interval
    min_requests = 200         # per arm and step, else wait
    min_feedback = 50          # labelled requests per arm before the quality check
    failure_limit = 2          # failed checks before the automatic rollback
    max_wait = "1h"            # too long without enough data: stop and report

    [tool.hyperflow.agent]
    interval = "60s"
    models = ["weather"]
    prune = true               # prune the prediction log ([tool.hyperflow.predictions] max_age)
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from hyperflow._errors import ConfigError
from hyperflow.monitor._config import check_keys, parse_duration

__all__ = [
    "AGENT_KEYS",
    "ROLLOUT_KEYS",
    "AgentConfig",
    "RolloutConfig",
    "agent_config",
    "did_you_mean",
    "project_tables",
    "rollout_config",
]

ROLLOUT_KEYS: dict[str, type | tuple[type, ...]] = {
    "steps": list, "interval": (str, int, float), "min_requests": int, "min_feedback": int,
    "failure_limit": int, "max_wait": (str, int, float), "max_error_rate": float,
    "max_latency_ratio": float, "max_metric_drop": float, "champion": str,
}
AGENT_KEYS: dict[str, type | tuple[type, ...]] = {
    "interval": (str, int, float), "models": list, "lease_ttl": (str, int, float),
    "prune": bool, "monitor": bool,
}


def did_you_mean(word: str, known: list[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``known``, else ``""``."""
    close = difflib.get_close_matches(word, known, 1)
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True)
class RolloutConfig:
    """How a canary advances: its steps, analysis interval and checks.

    Attributes:
        steps: canary percent per step (increasing, 1..100); reaching 100 promotes.
        interval: seconds between analyses (a step lasts at least one interval).
        min_requests: canary requests a step needs before it is judged (else: wait).
        min_feedback: labelled requests per arm before the quality check counts.
        failure_limit: failed checks before the automatic rollback.
        max_wait: seconds a step may wait for enough data before the rollout stops.
        max_error_rate: the canary's error rate may exceed the champion's by this much.
        max_latency_ratio: canary p99 latency at most this times the champion's.
        max_metric_drop: the canary's live metric may be worse than the champion's by
            this share (0.02: 2 %).
        champion: the alias that serves and that a full promotion moves.
    """

    steps: tuple[int, ...] = (10, 50, 100)
    interval: float = 600.0
    min_requests: int = 200
    min_feedback: int = 50
    failure_limit: int = 2
    max_wait: float = 3600.0
    max_error_rate: float = 0.05
    max_latency_ratio: float = 2.0
    max_metric_drop: float = 0.02
    champion: str = "production"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "steps": list(self.steps)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RolloutConfig:
        return cls(**{**data, "steps": tuple(data["steps"])})


def _steps(value: Any, where: str) -> tuple[int, ...]:
    steps = list(value) if isinstance(value, list | tuple) else None
    ok = (
        steps
        and all(isinstance(s, int | float) and not isinstance(s, bool) for s in steps)
        and all(0 < s <= 100 for s in steps)
        and all(a < b for a, b in itertools.pairwise(steps))
    )
    if not ok or steps is None:
        raise ConfigError(
            f"steps in {where} must be increasing canary percentages in (0, 100], e.g. "
            f"[10, 50, 100], but got {value!r}"
        )
    return tuple(int(s) for s in steps)


def _positive(name: str, value: float, where: str, minimum: float = 0.0) -> None:
    if value < minimum:
        raise ConfigError(f"{name} in {where} must be >= {minimum:g}, but got {value!r}")


def rollout_config(
    table: Mapping[str, Any] | None = None, *, where: str = "[tool.hyperflow.rollout]",
    **overrides: Any,
) -> RolloutConfig:
    """A validated :class:`RolloutConfig` from a table (default: the project's) and
    keyword overrides (``None`` values are ignored)."""
    raw = dict(project_tables()[0].get("rollout", {}) if table is None else table)
    raw.update({k: v for k, v in overrides.items() if v is not None})
    check_keys(raw, ROLLOUT_KEYS, where)
    values: dict[str, Any] = dict(raw)
    if "steps" in raw:
        values["steps"] = _steps(raw["steps"], where)
    for key in ("interval", "max_wait"):
        if key in raw:
            values[key] = parse_duration(raw[key], f"{key} in {where}")
    cfg = replace(RolloutConfig(), **values)
    _positive("interval", cfg.interval, where, 0.01)
    _positive("min_requests", cfg.min_requests, where, 1)
    _positive("min_feedback", cfg.min_feedback, where)
    _positive("failure_limit", cfg.failure_limit, where, 1)
    _positive("max_wait", cfg.max_wait, where, cfg.interval)
    _positive("max_error_rate", cfg.max_error_rate, where)
    _positive("max_latency_ratio", cfg.max_latency_ratio, where, 1.0)
    _positive("max_metric_drop", cfg.max_metric_drop, where)
    return cfg


@dataclass(frozen=True)
class AgentConfig:
    """``[tool.hyperflow.agent]``: how often the agent passes, over which models."""

    interval: float = 60.0
    models: tuple[str, ...] = ()
    lease_ttl: float | None = None
    prune: bool = False
    monitor: bool = True

    @property
    def ttl(self) -> float:
        """The lease's time to live: given, else three passes (at least 30 s)."""
        return self.lease_ttl if self.lease_ttl is not None else max(30.0, 3 * self.interval)


def agent_config(table: Mapping[str, Any] | None = None, **overrides: Any) -> AgentConfig:
    """A validated :class:`AgentConfig` (default: ``[tool.hyperflow.agent]``)."""
    tables, name = project_tables()
    raw = dict(tables.get("agent", {}) if table is None else table)
    raw.update({k: v for k, v in overrides.items() if v is not None})
    where = "[tool.hyperflow.agent]"
    check_keys(raw, AGENT_KEYS, where)
    models = tuple(raw.get("models") or ([name] if name else []))
    interval = parse_duration(raw.get("interval", 60.0), f"interval in {where}")
    ttl = raw.get("lease_ttl")
    return AgentConfig(
        interval=interval, models=models,
        lease_ttl=None if ttl is None else parse_duration(ttl, f"lease_ttl in {where}"),
        prune=bool(raw.get("prune", False)), monitor=bool(raw.get("monitor", True)),
    )


def project_tables(start: str | Path | None = None) -> tuple[dict[str, Any], str | None]:
    """The project's ``[tool.hyperflow]`` table and its ``name`` (``({}, None)`` outside one)."""
    from hyperflow.store import project_config

    cfg = project_config(start)
    name = cfg.get("name")
    return cfg, name if isinstance(name, str) else None

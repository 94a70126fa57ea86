"""``[tool.hyperflow.retrain]`` and ``[tool.hyperflow.gate]``: read, checked, with defaults.

Keys of ``[tool.hyperflow.gate]``::

    min_improvement = 0.0      # the objective must improve by at least this much
    relative = false           # min_improvement as a fraction of the champion's value
    constraints = ["latency_ms <= 50"]   # on the challenger's holdout metrics
    suites = ["pkg.tests:suite"]         # behavioural suites (besides those bound)
    data = "raw_data"          # train output of the training rows (schema rule)
    holdout = "split.test"     # train output (dotted attribute) of the holdout rows
    target = "weather"         # the label column of the holdout (slices, fairness)
    slices = [{column = "season", max_drop = 0.05, metric = "accuracy"}]
    fairness = {sensitive = ["sex"], metric = "accuracy", max_difference = 0.05}
    live_window = "7d"         # the last labelled window of live traffic
    use_feedback = true        # score both on that window when feedback exists

Keys of ``[tool.hyperflow.retrain]`` read here: ``inputs`` (the train pipeline's
current inputs); ``schedule``, ``on_new_data`` and ``on_alert`` belong to the triggers.
Unknown keys are errors with a "did you mean".
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from hyperflow._errors import RetrainError

__all__ = ["FairnessRule", "GateConfig", "RetrainConfig", "SliceRule", "gate_config"]

GATE_KEYS: dict[str, str] = {
    "min_improvement": "a number",
    "relative": "a boolean",
    "constraints": "a list of strings",
    "suites": "a list of strings",
    "data": "a string",
    "holdout": "a string",
    "target": "a string",
    "slices": "a list of tables",
    "fairness": "a table or a list of tables",
    "live_window": "a string",
    "use_feedback": "a boolean",
}
RETRAIN_KEYS: dict[str, str] = {
    "inputs": "a table",
    "schedule": "a string",
    "on_new_data": "a boolean",
    "on_alert": "a list of strings",
}
SLICE_KEYS = ("column", "max_drop", "metric")
FAIRNESS_KEYS = ("sensitive", "metric", "max_difference", "min_group_size")


@dataclass(frozen=True)
class SliceRule:
    """No value of ``column`` may lose more than ``max_drop`` of ``metric`` vs the champion."""

    column: str
    max_drop: float
    metric: str = "accuracy"


@dataclass(frozen=True)
class FairnessRule:
    """The challenger's ``metric`` may differ between groups by at most ``max_difference``."""

    sensitive: list[str]
    max_difference: float
    metric: str = "accuracy"
    min_group_size: int = 30


@dataclass(frozen=True)
class GateConfig:
    """``[tool.hyperflow.gate]`` with its defaults (see the module docstring)."""

    min_improvement: float = 0.0
    relative: bool = False
    constraints: list[str] = field(default_factory=list)
    suites: list[str] = field(default_factory=list)
    data: str | None = None
    holdout: str | None = None
    target: str | None = None
    slices: list[SliceRule] = field(default_factory=list)
    fairness: list[FairnessRule] = field(default_factory=list)
    live_window: str | None = None
    use_feedback: bool = True


@dataclass(frozen=True)
class RetrainConfig:
    """What retraining reads of ``[tool.hyperflow.retrain]``."""

    inputs: dict[str, Any] = field(default_factory=dict)


def _fits(value: Any, expected: str) -> bool:
    checks: dict[str, Any] = {
        "a number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "a boolean": lambda v: isinstance(v, bool),
        "a string": lambda v: isinstance(v, str),
        "a table": lambda v: isinstance(v, dict),
        "a list of strings": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "a list of tables": lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
        "a table or a list of tables": lambda v: (
            isinstance(v, dict) or (isinstance(v, list) and all(isinstance(x, dict) for x in v))
        ),
    }
    return bool(checks[expected](value))


def check_table(
    table: dict[str, Any], schema: dict[str, str] | tuple[str, ...], where: str
) -> None:
    """Unknown keys ("did you mean") and, with a typed schema, wrong types are errors."""
    known = list(schema)
    for key in sorted(table):
        if key not in schema:
            close = difflib.get_close_matches(key, known, 1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise RetrainError(
                f"unknown key {key!r} in {where}{hint} (known keys: {', '.join(sorted(known))})"
            )
        if isinstance(schema, dict) and not _fits(table[key], schema[key]):
            raise RetrainError(f"{key} in {where} must be {schema[key]}, but got {table[key]!r}")


def _slice(entry: dict[str, Any]) -> SliceRule:
    where = "a [tool.hyperflow.gate] slices entry"
    check_table(entry, SLICE_KEYS, where)
    if "column" not in entry or "max_drop" not in entry:
        raise RetrainError(
            f'{where} needs column and max_drop, e.g. {{column = "season", max_drop = 0.05}}; '
            f"got {entry!r}"
        )
    return SliceRule(
        str(entry["column"]), float(entry["max_drop"]), str(entry.get("metric", "accuracy"))
    )


def _fairness(entry: dict[str, Any]) -> FairnessRule:
    where = "[tool.hyperflow.gate] fairness"
    check_table(entry, FAIRNESS_KEYS, where)
    sensitive = entry.get("sensitive")
    if isinstance(sensitive, str):
        sensitive = [sensitive]
    if not sensitive or "max_difference" not in entry:
        raise RetrainError(
            f'{where} needs sensitive and max_difference, e.g. {{sensitive = ["sex"], '
            f'metric = "accuracy", max_difference = 0.05}}; got {entry!r}'
        )
    return FairnessRule(
        [str(s) for s in sensitive],
        float(entry["max_difference"]),
        str(entry.get("metric", "accuracy")),
        int(entry.get("min_group_size", 30)),
    )


def gate_config(project: dict[str, Any]) -> tuple[GateConfig, RetrainConfig]:
    """The gate and retrain settings of a project config (``[tool.hyperflow]``'s dict)."""
    gate = dict(project.get("gate") or {})
    retrain = dict(project.get("retrain") or {})
    check_table(gate, GATE_KEYS, "[tool.hyperflow.gate]")
    check_table(retrain, RETRAIN_KEYS, "[tool.hyperflow.retrain]")
    fairness = gate.get("fairness") or []
    if isinstance(fairness, dict):
        fairness = [fairness]
    if "live_window" in gate:
        from hyperflow.monitor._config import parse_duration

        try:
            parse_duration(gate["live_window"], "live_window ([tool.hyperflow.gate])")
        except Exception as exc:
            raise RetrainError(str(exc)) from None
    if (gate.get("slices") or fairness) and not (gate.get("holdout") and gate.get("target")):
        raise RetrainError(
            "slices and fairness rules in [tool.hyperflow.gate] score the holdout rows: add "
            'holdout = "<train output or output.attribute>" and target = "<label column>"'
        )
    config = GateConfig(
        min_improvement=float(gate.get("min_improvement", 0.0)),
        relative=bool(gate.get("relative", False)),
        constraints=list(gate.get("constraints", [])),
        suites=list(gate.get("suites", [])),
        data=gate.get("data"),
        holdout=gate.get("holdout"),
        target=gate.get("target"),
        slices=[_slice(s) for s in gate.get("slices", [])],
        fairness=[_fairness(f) for f in fairness],
        live_window=gate.get("live_window"),
        use_feedback=bool(gate.get("use_feedback", True)),
    )
    return config, RetrainConfig(inputs=dict(retrain.get("inputs", {})))

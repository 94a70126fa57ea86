"""A hyperflow project: ``[tool.hyperflow]`` in ``pyproject.toml`` or a ``hyperflow.toml``.

Keys (all optional)::

    name = "weather"
    train = "examples.weather.pipeline:train"      # module:attr of the train pipeline
    predict = "examples.weather.pipeline:predict"  # module:attr of the inference pipeline
    objective = "f1"                               # an expression over metrics
    direction = "maximize"                         # or "minimize"
    constraints = ["latency_ms <= 20"]
    metrics = "metrics"                            # the output holding the metrics
    artifacts_out = ["model"]                      # train outputs a registered model binds
    store = "sqlite:///.hyperflow/hyperflow.db"
    artifacts = ".hyperflow/artifacts"

    [tool.hyperflow.inputs]                        # default inputs of the train pipeline
    [tool.hyperflow.optimize]                      # trials, sampler, seed, n_jobs, study, pruner
    reference = "train_rows"                       # run output profiled for drift on register
    [tool.hyperflow.monitor]                       # windows, schedule, channels (hf.monitor)
    [[tool.hyperflow.alerts]]                      # alert rules (hf.monitor)
    [tool.hyperflow.retrain]                       # inputs, triggers (hf.retrain)
    [tool.hyperflow.gate]                          # the champion/challenger gate's rules
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyperflow._errors import ProjectError
from hyperflow._refs import import_ref

__all__ = ["Project", "ProjectError", "config_file", "import_ref", "load_project"]


@dataclass
class Project:
    """What ``[tool.hyperflow]`` says, with the directory it was found in."""

    root: Path
    name: str
    train: str | None = None
    predict: str | None = None
    objective: str | None = None
    direction: str = "maximize"
    constraints: list[str] = field(default_factory=list)
    metrics: str | None = None
    artifacts_out: list[str] = field(default_factory=lambda: ["model"])
    inputs: dict[str, Any] = field(default_factory=dict)
    optimize: dict[str, Any] = field(default_factory=dict)

    def pipeline(self, which: str = "train") -> Any:
        from hyperflow.core import Pipeline

        ref = self.train if which == "train" else self.predict
        if ref is None:
            raise ProjectError(
                f'no {which} pipeline configured: add `{which} = "module:attr"` under '
                f"[tool.hyperflow] in {self.root / 'pyproject.toml'} (or hyperflow.toml), or pass "
                f"--pipeline module:attr"
            )
        obj = import_ref(ref, self.root)
        if not isinstance(obj, Pipeline):
            raise ProjectError(f"{ref!r} is a {type(obj).__name__}, not an hf.Pipeline")
        return obj

    def objective_obj(self) -> Any:
        from hyperflow.optimize import Objective

        if not self.objective:
            raise ProjectError(
                'no objective configured: add `objective = "<metric expression>"` under '
                "[tool.hyperflow], or pass --objective"
            )
        return Objective(
            self.objective, maximize=self.direction != "minimize", constraints=self.constraints
        )


_STR, _INT, _STRS, _TABLE = "a string", "an integer", "a list of strings", "a table"
_TABLES = "an array of tables"
_SCHEMA: dict[str, str] = {
    "name": _STR,
    "train": _STR,
    "predict": _STR,
    "objective": _STR,
    "direction": _STR,
    "constraints": _STRS,
    "metrics": _STR,
    "artifacts_out": _STRS,
    "inputs": _TABLE,
    "optimize": _TABLE,
    "store": _STR,
    "artifacts": _STR,
    "reference": _STR,
    "monitor": _TABLE,
    "alerts": _TABLES,
    "retrain": _TABLE,
    "gate": _TABLE,
    "rollout": _TABLE,
    "agent": _TABLE,
}
_OPTIMIZE: dict[str, str] = {
    "trials": _INT,
    "sampler": _STR,
    "seed": _INT,
    "n_jobs": _INT,
    "study": _STR,
    "pruner": _STR,
}
_TOML_TYPES = {str: "a string", int: "an integer", float: "a float", bool: "a boolean"}


def _fits(value: Any, expected: str) -> bool:
    if expected == _STR:
        return isinstance(value, str)
    if expected == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == _TABLES:
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    if expected == _STRS:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, dict)


def _check_table(cfg: dict[str, Any], schema: dict[str, str], table: str, file: Path) -> None:
    """Unknown keys ("did you mean") and wrong types (key, expected type, value) are errors."""
    import difflib

    for key in sorted(cfg):
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), 1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ProjectError(
                f"unknown key {key!r} in {table} of {file}{hint} "
                f"(known keys: {', '.join(sorted(schema))})"
            )
        if not _fits(cfg[key], schema[key]):
            got = _TOML_TYPES.get(type(cfg[key]), f"a {type(cfg[key]).__name__}")
            raise ProjectError(
                f"{key} ({table}) in {file} must be {schema[key]}, but got {got}: "
                f"{cfg[key]!r}"
            )


def config_file(root: Path) -> tuple[Path, str]:
    """The file holding the project config under ``root`` and its table's name."""
    own = root / "hyperflow.toml"
    if own.is_file():
        return own, ""
    return root / "pyproject.toml", "tool.hyperflow"


def load_project(start: str | os.PathLike[str] | None = None) -> Project:
    """The project around ``start`` (default: the current directory); empty if there is none.

    Raises:
        ProjectError: an unknown key or a value of the wrong type, named with its file.
    """
    from hyperflow.store import find_project_root, project_config

    root = find_project_root(start)
    if root is None:
        here = Path(start or os.getcwd()).resolve()
        return Project(root=here, name=here.name)
    cfg = project_config(root)
    file, table = config_file(root)
    _check_table(cfg, _SCHEMA, f"[{table}]" if table else "the top level", file)
    _check_table(cfg.get("optimize", {}), _OPTIMIZE, f"[{table}.optimize]".replace("[.", "["), file)
    if "monitor" in cfg or "alerts" in cfg:
        from hyperflow._errors import ConfigError
        from hyperflow.monitor._config import from_tables

        try:
            from_tables(dict(cfg.get("monitor", {})), list(cfg.get("alerts", [])), str(file))
        except ConfigError as exc:
            raise ProjectError(str(exc)) from None
    if "retrain" in cfg or "gate" in cfg:
        from hyperflow._errors import RetrainError
        from hyperflow.retrain._gate_config import gate_config

        try:
            gate_config(cfg)
        except RetrainError as exc:
            raise ProjectError(f"{exc} (in {file})") from None
    if "rollout" in cfg or "agent" in cfg:
        from hyperflow._errors import ConfigError
        from hyperflow.retrain._config import agent_config, rollout_config

        try:
            rollout_config(cfg.get("rollout", {}))
            agent_config(cfg.get("agent", {}))
        except ConfigError as exc:
            raise ProjectError(f"{exc} (in {file})") from None
    direction = str(cfg.get("direction", "maximize"))
    if direction not in ("maximize", "minimize"):
        raise ProjectError(
            f"direction in {file} must be 'maximize' or 'minimize', but got {direction!r}"
        )
    return Project(
        root=root,
        name=str(cfg.get("name", root.name)),
        train=cfg.get("train"),
        predict=cfg.get("predict"),
        objective=cfg.get("objective"),
        direction=direction,
        constraints=list(cfg.get("constraints", [])),
        metrics=cfg.get("metrics"),
        artifacts_out=list(cfg.get("artifacts_out", ["model"])),
        inputs=dict(cfg.get("inputs", {})),
        optimize=dict(cfg.get("optimize", {})),
    )

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
    [tool.hyperflow.optimize]                      # trials, sampler, seed, n_jobs, study
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyperflow._errors import ProjectError
from hyperflow._refs import import_ref

__all__ = ["Project", "ProjectError", "import_ref", "load_project"]


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


_KNOWN = {
    "name",
    "train",
    "predict",
    "objective",
    "direction",
    "constraints",
    "metrics",
    "artifacts_out",
    "inputs",
    "optimize",
    "store",
    "artifacts",
}


def load_project(start: str | os.PathLike[str] | None = None) -> Project:
    """The project around ``start`` (default: the current directory); empty if there is none."""
    from hyperflow.store import find_project_root, project_config

    root = find_project_root(start)
    if root is None:
        here = Path(start or os.getcwd()).resolve()
        return Project(root=here, name=here.name)
    cfg = project_config(root)
    unknown = sorted(set(cfg) - _KNOWN)
    if unknown:
        import difflib

        hints = [
            f"{u!r}"
            + (
                f" (did you mean {m[0]!r}?)"
                if (m := difflib.get_close_matches(u, _KNOWN, 1))
                else ""
            )
            for u in unknown
        ]
        raise ProjectError(f"unknown [tool.hyperflow] key(s) in {root}: {', '.join(hints)}")
    direction = str(cfg.get("direction", "maximize"))
    if direction not in ("maximize", "minimize"):
        raise ProjectError(f"direction must be 'maximize' or 'minimize', but got {direction!r}")
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

"""A registered model for the traffic tests: its artifact picks how it behaves."""

from __future__ import annotations

import time
from typing import TypedDict

import hyperflow as hf


class Visit(TypedDict):
    user: str
    x: float


def score(coef: float, visit: Visit) -> float:
    """``coef * x``; coef -1 crashes (a broken canary), coef -2 takes 1 s (a hung one)."""
    if coef == -1.0:
        raise RuntimeError("the canary is broken")
    if coef == -2.0:
        time.sleep(1.0)
    return coef * visit["x"]


visit_predict = hf.Pipeline([score], name="visit-predict")
"""Module level, so the registry can import it by reference."""


def register(coef: float, name: str = "visit") -> str:
    """Register a version of ``name`` whose artifact is ``coef``; its version string."""
    with hf.start_run("fit-visit") as run:
        run.log_artifact(coef, "coef")
    mv = hf.registry.register(name, run_id=run.id, predict=visit_predict, artifacts=["coef"])
    return str(mv.version)


def two_versions(name: str = "visit", canary_coef: float = 2.0) -> tuple[str, str]:
    """production -> coef 1, candidate -> ``canary_coef``; (production, candidate) versions."""
    v1, v2 = register(1.0, name), register(canary_coef, name)
    hf.registry.set_alias(name, "production", v1)
    hf.registry.set_alias(name, "candidate", v2)
    return v1, v2

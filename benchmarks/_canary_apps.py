"""The apps compared by ``bench_serve_canary.py`` (uvicorn ``--factory`` targets).

Both serve ``weather@production`` from the registry in ``$HYPERFLOW_STORE`` (the benchmark
prepares one store per app): ``single`` with no traffic policy, ``canary`` with a 90/10
split between ``production`` and ``candidate`` (set in the store before the server starts).
Metrics and the SQL prediction log are on in both.
"""

from __future__ import annotations

from typing import Any

from benchmarks._serve_apps import fit_logreg, label

import hyperflow as hf
from hyperflow.serve import create_app

__all__ = ["app", "prepare", "weather_predict"]

weather_predict = hf.Pipeline([label], name="weather-predict")
"""Module level, so the registry can import it by reference."""


def prepare(canary: bool) -> None:
    """Register two versions (production, candidate) in the current store; 90/10 if ``canary``."""
    versions = []
    for max_iter in (2000, 1000):
        with hf.start_run("fit-weather") as run:
            model = fit_logreg()
            model.max_iter = max_iter
            run.log_artifact(model, "model")
        mv = hf.registry.register(
            "weather", run_id=run.id, predict="benchmarks._canary_apps:weather_predict",
            allow_pickle=True,
        )
        versions.append(mv.version)
    hf.registry.set_alias("weather", "production", versions[0])
    hf.registry.set_alias("weather", "candidate", versions[1])
    if canary:
        hf.registry.set_traffic("weather", {"production": 90, "candidate": 10})


def app() -> Any:
    return create_app("weather@production")

"""The seattle-weather LogisticRegression as a registered model (train and predict
pipelines importable by `hyperflow serve` workers), for ``bench_workers`` and ``bench_cache``."""

from __future__ import annotations

from typing import Any

from benchmarks._serve_apps import fit_logreg, label

import hyperflow as hf


def model() -> Any:
    return fit_logreg()


train = hf.Pipeline([model], name="weather-train")
predict = hf.Pipeline([label], name="weather-predict")


def register_weather() -> str:
    """Register ``weather`` 1.0.0 in the current store; ``production`` points at it."""
    from hyperflow import registry

    run = train.run(outputs=["model"])
    mv = registry.register(
        "weather", run_id=run.run_id, predict=f"{__name__}:predict", version="1.0.0"
    )
    registry.set_alias("weather", "production", mv.version)
    return "weather@production"

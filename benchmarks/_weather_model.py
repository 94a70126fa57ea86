"""The seattle-weather LogisticRegression as a registered model (train and predict
pipelines importable by `hyperflow serve` workers), for ``bench_workers`` and ``bench_cache``."""

from __future__ import annotations

from typing import Any

from benchmarks._serve_apps import MEASUREMENTS, fit_logreg, label

import hyperflow as hf


def model(kind: str = "logreg") -> Any:
    """LogisticRegression (sub-millisecond predictions) or a 300-tree random forest (slow)."""
    if kind == "logreg":
        return fit_logreg()
    from sklearn.ensemble import RandomForestClassifier
    from vega_datasets import data

    df = data.seattle_weather()
    forest = RandomForestClassifier(n_estimators=300, random_state=0, n_jobs=1)
    return forest.fit(df[MEASUREMENTS].to_numpy(float), df["weather"].to_numpy())


train = hf.Pipeline([model], name="weather-train")
predict = hf.Pipeline([label], name="weather-predict")


def register_weather(name: str = "weather", kind: str = "logreg") -> str:
    """Register ``name`` 1.0.0 (a ``kind`` model) in the current store, at ``production``."""
    from hyperflow import registry

    run = train.run(inputs={"kind": kind}, outputs=["model"])
    mv = registry.register(  # the forest is kept with joblib: this benchmark trusts its own
        name, run_id=run.run_id, predict=f"{__name__}:predict", version="1.0.0", allow_pickle=True
    )
    registry.set_alias(name, "production", mv.version)
    return f"{name}@production"

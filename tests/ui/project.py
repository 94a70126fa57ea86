"""A tiny project for the dashboard tests: runs, a failed run, a study and a model with
its monitoring (checks, alerts) and closed-loop records (traffic, rollout, gate, events)."""

from __future__ import annotations

from typing import Annotated, TypedDict

import hyperflow as hf
from hyperflow import registry

EVIL = "<script>window.__pwned = 1</script>"


class Row(TypedDict):
    x: float


def data(n: int = 10) -> list[float]:
    return [float(i) for i in range(n)]


def model(data: list[float], scale: Annotated[float, hf.Float(0.5, 4.0)] = 1.0) -> dict[str, float]:
    return {"slope": scale, "offset": sum(data) / len(data)}


def metrics(model: dict[str, float]) -> dict[str, float]:
    return {"f1": min(1.0, model["slope"] / 4), "latency_ms": 1.0 + model["slope"]}


def prediction(model: dict[str, float], row: Row) -> float:
    return model["slope"] * row["x"] + model["offset"]


train = hf.Pipeline([data, model, metrics], name="ui-train")
predict = hf.Pipeline([prediction], name="ui-predict")


def seed(store: str | None = None) -> dict[str, str]:
    """Fill the store; returns ids by role."""
    ids: dict[str, str] = {}
    for i, lr in enumerate((0.1, 0.01, 0.001)):
        with hf.start_run(f"exp-{i}", params={"lr": lr, "model": "mlp"}, store=store) as run:
            for step in range(5):
                run.log_metrics({"loss": 1.0 / (step + 1 + i), "acc": 0.5 + 0.1 * i}, step=step)
        ids[f"exp-{i}"] = run.id
    with hf.start_run(EVIL, params={"lr": 0.5}, tags={"note": EVIL}, store=store) as run:
        run.log_metrics({"acc": 0.1})
    ids["evil"] = run.id
    try:
        with hf.start_run("broken", params={"lr": 9.0}, store=store) as run:
            raise RuntimeError("diverged: loss is nan")
    except RuntimeError:
        ids["broken"] = run.id
    r1 = train.run(outputs=["model", "metrics"], config={"model.scale": 1.0}, track=store or True)
    r2 = train.run(outputs=["model", "metrics"], config={"model.scale": 2.0}, track=store or True)
    ids["train1"], ids["train2"] = str(r1.run_id), str(r2.run_id)
    registry.register("demo", run_id=ids["train1"], predict=predict, store=store)
    registry.register("demo", run_id=ids["train2"], predict=predict, store=store)
    registry.set_alias("demo", "production", "0.1.0", store=store)
    train.optimize(objective=hf.Objective("f1"), n_trials=4, seed=0, study="ui-study",
                   progress=False, track=store or True)
    train.optimize(objective=hf.Objective(maximize=["f1"], minimize=["latency_ms"]),
                   n_trials=4, seed=0, study="ui-pareto", progress=False, track=store or True)
    from tests.ui.loop_seed import seed_loop, seed_monitoring

    seed_monitoring(store, ids["train1"])
    seed_loop(store, ids)
    return ids

"""Refit after new data (``hyperflow retrain --mode refit``) vs the first full training run.

Run: ``python benchmarks/bench_retrain.py [--config forest|logreg]``.

On the weather project (``examples/weather``: vega_datasets' seattle-weather, 1,461 days)
in a fresh temporary project, each step a fresh ``hyperflow`` process (as a user or a
CronJob runs them, imports included), in one run:

1. **first run, cold cache**: ``hyperflow run`` of the train pipeline at the chosen config
   on ``days.csv`` (tracked; then registered as ``weather`` and aliased ``production``);
2. **refit, last 30 days changed**: ``days-new.csv`` is the same file with the
   measurements and labels of its last 30 days changed; ``hyperflow retrain weather
   --mode refit --input source=days-new.csv`` (training, re-scoring the champion on the
   new holdout, the gate, registration, the decision);
3. **refit, nothing changed**: the same command without ``--input`` (every node a cache hit).

Prints each wall time, the nodes recomputed and cached, and the ratios to the first run.
A second section repeats the three steps in this one process after warming it (imports,
the store's schema, the serializers), so the ratio shows the training work alone: a
fresh process spends seconds importing scikit-learn and skops, the same for both sides.
Which nodes recompute follows the pipeline's structure: the weather pipeline's ``split``
holds train and test rows together, so a change in the (held-out) last 30 days reaches the
model's fit through ``split``; only the config-only featurizer stays cached.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {
    "forest": {
        "featurizer": "seasonal",
        "model": "forest",
        "model.forest.n_estimators": 200,
        "model.forest.max_depth": 10,
        "featurizer.seasonal.harmonics": 2,
    },
    "logreg": {"featurizer": "seasonal", "model": "logreg"},
}
PROJECT = """[tool.hyperflow]
name = "weather-bench"
train = "examples.weather.pipeline:train"
predict = "examples.weather.pipeline:predict"
objective = "f1"
constraints = ["latency_ms <= 200"]

[tool.hyperflow.inputs]
source = "days.csv"

[tool.hyperflow.gate]
min_improvement = -1.0
"""


def _data(folder: Path) -> None:
    import numpy as np
    from examples.weather.pipeline import raw_data

    days = raw_data()
    days.to_csv(folder / "days.csv", index=False)
    rng = np.random.default_rng(0)
    new = days.copy()
    last = new.index[-30:]
    new.loc[last, "precipitation"] = rng.gamma(1.0, 3.0, 30).round(1)
    new.loc[last, "weather"] = np.where(new.loc[last, "precipitation"] > 1.0, "rain", "sun")
    new.to_csv(folder / "days-new.csv", index=False)


def _hyperflow(folder: Path, args: list[str]) -> tuple[float, dict[str, object]]:
    """Wall seconds of one ``hyperflow ... --json`` process and its JSON answer."""
    paths = [str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    env.setdefault("HYPERFLOW_TRUSTED_MODULES", "examples")
    env["HYPERFLOW_ALLOW_PICKLE"] = "1"  # the weather model holds a custom featurizer (joblib)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "hyperflow", *args, "--json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - t0
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise SystemExit(f"hyperflow {' '.join(args)} failed:\n{done.stderr}")
    return seconds, json.loads(done.stdout)


def _register(folder: Path, run_id: str) -> None:
    _hyperflow(folder, ["register", "--run", run_id, "--name", "weather"])
    _hyperflow(folder, ["promote", "weather", "0.1.0"])


def run(config: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-retrain-"))
    (folder / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    _data(folder)
    sets = [a for k, v in CONFIGS[config].items() for a in ("--set", f"{k}={v}")]
    cold_s, first = _hyperflow(folder, ["run", *sets, "--output", "model", "--output", "metrics"])
    _register(folder, str(first["run_id"]))
    args = ["retrain", "weather", "--mode", "refit"]
    changed_s, changed = _hyperflow(folder, [*args, "--input", "source=days-new.csv"])
    same_s, same = _hyperflow(folder, args)
    print(f"weather, config {config}: {json.dumps(CONFIGS[config])}")
    print(f"  first full training run, cold cache (hyperflow run): {cold_s:6.2f} s")
    for label, seconds, data in (
        ("refit, last 30 days changed", changed_s, changed),
        ("refit, no data changed", same_s, same),
    ):
        print(
            f"  {label + ' (hyperflow retrain)':46}: {seconds:6.2f} s  "
            f"recomputed {data['recomputed']}, cached {data['cached']}; "
            f"gate {'passed' if data['passed'] else 'failed'}; its training run "
            f"{float(str(data['train_seconds'])):.2f} s"
        )
    print(f"  ratio refit (30 days changed) / first run: {changed_s / cold_s:.2f}x")
    print(f"  ratio refit (unchanged) / first run:       {same_s / cold_s:.2f}x")


def _warm() -> None:
    """Imports and first-use costs a fresh process pays before any training."""
    from sklearn.linear_model import LogisticRegression

    import hyperflow as hf
    from hyperflow.store import serialize

    hf.store.get_store()
    serialize(LogisticRegression().fit([[0.0], [1.0]], [0, 1]))


def run_in_process(config: str) -> None:
    """The same three steps in this process, warmed: the training work alone."""
    from examples.weather.pipeline import predict, train

    import hyperflow as hf

    folder = Path(tempfile.mkdtemp(prefix="bench-retrain-warm-"))
    os.chdir(folder)
    (folder / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    os.environ["HYPERFLOW_ALLOW_PICKLE"] = "1"
    _data(folder)
    _warm()
    t0 = time.perf_counter()
    first = train.run(
        inputs={"source": "days.csv"}, config=CONFIGS[config], outputs=["model", "metrics"]
    )
    cold_s = time.perf_counter() - t0
    mv = hf.registry.register("weather", run_id=first.run_id, predict=predict)
    hf.registry.set_alias("weather", "production", mv.version)
    t0 = time.perf_counter()
    changed = hf.retrain("weather", inputs={"source": "days-new.csv"})
    changed_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    same = hf.retrain("weather")
    same_s = time.perf_counter() - t0
    print("in one warmed process (hf.retrain):")
    print(f"  first full training run, cold cache: {cold_s:6.2f} s")
    print(
        f"  refit, last 30 days changed:         {changed_s:6.2f} s "
        f"({len(changed.recomputed)} recomputed, {len(changed.cached)} cached)"
    )
    print(
        f"  refit, no data changed:              {same_s:6.2f} s "
        f"({len(same.recomputed)} recomputed, {len(same.cached)} cached)"
    )
    print(f"  ratio refit (30 days changed) / first run: {changed_s / cold_s:.2f}x")
    print(f"  ratio refit (unchanged) / first run:       {same_s / cold_s:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", choices=sorted(CONFIGS), default="forest")
    args = ap.parse_args()
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    os.environ.setdefault("HYPERFLOW_TRUSTED_MODULES", "examples")
    run(args.config)
    run_in_process(args.config)


if __name__ == "__main__":
    main()

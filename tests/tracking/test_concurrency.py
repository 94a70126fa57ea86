"""Four processes logging into one store at once lose nothing and never see locks."""

from __future__ import annotations

import pytest
from tests.tracking.conftest import spawn

import hyperflow as hf

WORKER = """
import sys, hyperflow as hf
url, worker = sys.argv[1], int(sys.argv[2])
for i in range(25):
    with hf.start_run(f"w{worker}-{i}", store=url) as run:
        run.log_params({"worker": worker, "i": i, "a": 1, "b": "x", "c": 0.5})
        run.log_metrics({"m0": i, "m1": worker, "m2": 0.1, "m3": 0.2, "m4": 0.3})
        for step in range(4):
            run.log_metrics({"loss": 1.0 / (step + 1)}, step=step)
"""


@pytest.mark.slow
def test_four_processes_log_100_runs_with_all_metrics(store_url: str) -> None:
    hf.store.get_store(store_url)  # schema first, so the workers only log
    procs = [spawn(WORKER, store_url, str(w)) for w in range(4)]
    errors = [p.communicate(timeout=240)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert not any("locked" in e for e in errors)
    df = hf.runs.search(store=store_url)
    assert len(df) == 100 and df["run_id"].is_unique
    assert set(df["name"]) == {f"w{w}-{i}" for w in range(4) for i in range(25)}
    assert (df["status"] == "finished").all()
    metric_cols = sorted(c for c in df.columns if c.startswith("metrics."))
    assert metric_cols == ["metrics.loss", *[f"metrics.m{k}" for k in range(5)]]
    assert df[metric_cols].notna().all().all()
    assert (df["metrics.loss"] == 0.25).all()
    assert (df["metrics.m0"] == df["params.i"]).all()
    sample = df["run_id"][0]
    assert len(hf.runs.history(sample, "loss", store=store_url)) == 4

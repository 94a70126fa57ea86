"""``Pipeline.run`` records a run automatically when a store is configured."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pytest

import hyperflow as hf
from hyperflow.engine import fingerprint


def data(n: int) -> np.ndarray:
    return np.arange(float(n))


def model(data: np.ndarray, scale: Annotated[float, hf.Float(0.1, 10.0)] = 1.0) -> float:
    return float(data.sum() * scale)


def metrics(model: float) -> dict[str, float]:
    return {"score": model, "half": model / 2}


def boom(model: float) -> float:
    raise ValueError(f"cannot use {model}")


PIPE = hf.Pipeline([data, model, metrics], name="train")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n\n[tool.hyperflow]\n')
    return tmp_path


def test_a_run_in_a_project_is_tracked_with_lineage(project: Path) -> None:
    r = PIPE.run(inputs={"n": 4}, config={"model.scale": 2.0}, outputs=["metrics", "model"])
    rec = hf.runs.get(r.run_id)
    assert (rec.pipeline, rec.name, rec.status) == ("train", "train", "finished")
    assert rec.params == {"model.scale": 2.0} and rec.config == r.config
    assert rec.metrics == {"score": 12.0, "half": 6.0}
    assert set(rec.nodes) == {"data", "model", "metrics"} == set(r.timings)
    assert all(n.seconds >= 0 and n.cache_hit is False for n in rec.nodes.values())
    versions = rec.lineage["code_versions"]
    assert set(versions) == {"data", "model", "metrics"}
    assert rec.nodes["model"].code_version == versions["model"]
    assert len(set(versions.values())) == 3  # distinct code, distinct versions
    assert rec.lineage["inputs"]["n"] == fingerprint(4)  # the same data version the cache keys use
    assert rec.lineage["outputs"] == ["metrics", "model"]
    assert hf.runs.load_artifact(r.run_id, "model") == 12.0
    assert hf.runs.load_artifact(r.run_id, "metrics") == {"score": 12.0, "half": 6.0}
    assert (project / ".hyperflow" / "hyperflow.db").exists()


def test_data_fingerprints_follow_the_data(project: Path) -> None:
    def total(x: np.ndarray) -> float:
        return float(x.sum())

    p = hf.Pipeline([total], name="fp")
    a = p.run(inputs={"x": np.ones(5)})
    b = p.run(inputs={"x": np.ones(5)})
    c = p.run(inputs={"x": np.ones(6)})
    fps = [hf.runs.get(r.run_id).lineage["inputs"]["x"] for r in (a, b, c)]
    assert fps[0] == fps[1] != fps[2]


def test_track_false_opts_out(project: Path) -> None:
    r = PIPE.run(inputs={"n": 2}, track=False)
    assert hf.runs.search(pipeline="train").empty
    with pytest.raises(hf.TrackingError):
        hf.runs.get(r.run_id)


def test_outside_a_project_runs_are_tracked_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like MLflow's ``mlruns``: the default store is created on the first write, here."""
    assert not list(tmp_path.rglob("*.db"))
    r = PIPE.run(inputs={"n": 2})
    assert (tmp_path / ".hyperflow" / "hyperflow.db").exists()
    assert hf.runs.get(r.run_id).status == "finished"
    monkeypatch.setenv("HYPERFLOW_TRACKING", "off")
    off = PIPE.run(inputs={"n": 3})
    with pytest.raises(hf.TrackingError):
        hf.runs.get(off.run_id)


def test_env_var_configures_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/env.db"
    monkeypatch.setenv("HYPERFLOW_STORE", url)
    r = PIPE.run(inputs={"n": 2})
    assert hf.runs.get(r.run_id, store=url).pipeline == "train"


def test_track_accepts_a_url_or_a_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/elsewhere.db"
    r = PIPE.run(inputs={"n": 2}, track=url)
    assert hf.runs.get(r.run_id, store=url).status == "finished"
    store = hf.store.get_store(url)
    r2 = PIPE.run(inputs={"n": 3}, track=store)
    assert len(hf.runs.search(store=store)) == 2 and hf.runs.get(r2.run_id, store=store)
    with pytest.raises(hf.StoreError, match="must be None, a URL"):
        PIPE.run(inputs={"n": 2}, track=3.5)


def test_a_failed_run_records_the_node_and_traceback(project: Path) -> None:
    p = hf.Pipeline([data, model, boom], name="bad")
    with pytest.raises(hf.NodeError, match="boom"):
        p.run(inputs={"n": 3})
    df = hf.runs.search(pipeline="bad")
    assert len(df) == 1 and df["status"][0] == "failed"
    rec = hf.runs.get(df["run_id"][0])
    assert rec.failed_node == "boom"
    assert rec.error is not None and "cannot use 3.0" in rec.error
    assert rec.traceback is not None and "ValueError: cannot use 3.0" in rec.traceback
    assert set(rec.nodes) == {"data", "model"}  # what ran before the failure is kept

"""Hand logging with ``hf.start_run`` and reading back with ``hf.runs``."""

from __future__ import annotations

import pickle
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hyperflow as hf
from hyperflow.store import get_artifact_store


def test_logged_values_come_back(tmp_path: Path) -> None:
    with hf.start_run("exp", tags={"team": "a"}, seed=7) as run:
        run.log_params({"model": "lr", "C": 0.1})
        for loss in (0.9, 0.5, 0.3):
            run.log_metrics({"loss": loss})  # steps 0, 1, 2
        run.log_metrics({"f1": 0.8}, step=10)
        run.set_tags({"stage": "dev"})
    rec = hf.runs.get(run.id)
    assert (rec.name, rec.status) == ("exp", "finished")
    assert rec.end_time is not None and rec.end_time >= rec.start_time
    assert rec.params == {"model": "lr", "C": 0.1}
    assert rec.metrics == {"loss": 0.3, "f1": 0.8}
    assert rec.tags == {"team": "a", "stage": "dev"}
    assert hf.runs.history(run.id, "loss")[["step", "value"]].values.tolist() == [
        [0, 0.9],
        [1, 0.5],
        [2, 0.3],
    ]
    assert rec.lineage["seed"] == 7
    env = rec.lineage["environment"]
    assert env["python"].count(".") == 2 and "numpy" in env["packages"]
    assert (tmp_path / ".hyperflow" / "hyperflow.db").exists()


def test_an_exception_fails_the_run_with_its_traceback() -> None:
    with pytest.raises(ZeroDivisionError), hf.start_run("bad") as run:
        run.log_metrics({"m": 1})
        _ = 1 / 0
    rec = hf.runs.get(run.id)
    assert rec.status == "failed"
    assert rec.error == "ZeroDivisionError: division by zero"
    assert rec.traceback is not None and "_ = 1 / 0" in rec.traceback
    assert rec.metrics == {"m": 1.0}


def test_misuse_is_a_tracking_error() -> None:
    with hf.start_run() as run:
        with pytest.raises(hf.TrackingError, match="'acc' must be a number"):
            run.log_metrics({"acc": "high"})
        with pytest.raises(hf.TrackingError, match="NaN"):
            run.log_metrics({"acc": float("nan")})
    with pytest.raises(hf.TrackingError, match="has ended"):
        run.log_metrics({"acc": 1.0})
    with pytest.raises(hf.TrackingError, match="no run 'nope'"):
        hf.runs.get("nope")


def test_nested_runs_record_their_parent() -> None:
    def double(x: int) -> int:
        return 2 * x

    with hf.start_run("study") as study:
        with hf.start_run("trial") as trial:
            pass
        r = hf.Pipeline([double], name="p").run(inputs={"x": 1}, track=True)
    assert hf.runs.get(trial.id).parent_id == study.id
    assert hf.runs.get(r.run_id).parent_id == study.id
    children = hf.runs.search(parent_run=study.id)
    assert set(children["run_id"]) == {trial.id, r.run_id}


def test_search_returns_a_dataframe_filtered_and_ordered() -> None:
    for model, f1 in [("lr", 0.95), ("lr", 0.85), ("svm", 0.92)]:
        with hf.start_run(model) as run:
            run.log_params({"model": model})
            run.log_metrics({"f1": f1})
    df = hf.runs.search(where="metrics.f1 > 0.9", order_by="-metrics.f1")
    assert isinstance(df, pd.DataFrame)
    assert df["metrics.f1"].tolist() == [0.95, 0.92]
    assert df["params.model"].tolist() == ["lr", "svm"]
    assert str(df["start_time"].dtype).startswith("datetime64")
    one = hf.runs.search(where="metrics.f1 > 0.9 and params.model = 'lr'", limit=5)
    assert one["metrics.f1"].tolist() == [0.95]
    assert hf.runs.search(where="params.model = 'knn'").empty
    assert len(hf.runs.search(limit=2)) == 2


def test_compare_puts_runs_side_by_side() -> None:
    ids = []
    for c, f1 in [(0.1, 0.8), (1.0, 0.9)]:
        with hf.start_run() as run:
            run.log_params({"C": c})
            run.log_metrics({"f1": f1})
        ids.append(run.id)
    table = hf.runs.compare(ids)
    assert list(table.columns) == ids
    assert table.loc["params.C"].tolist() == [0.1, 1.0]
    assert table.loc["metrics.f1"].tolist() == [0.8, 0.9]


def test_artifacts_round_trip_per_type() -> None:
    from sklearn.linear_model import LinearRegression

    x = np.arange(8.0).reshape(4, 2)
    model = LinearRegression().fit(x, [1.0, 2.0, 3.0, 4.0])
    frame = pd.DataFrame({"a": [1, 2]})
    with hf.start_run() as run:
        rec = run.log_artifact(x, "x")
        run.log_artifact(frame, "frame")
        run.log_artifact(model, "model")
    assert rec.format == "npy" and len(rec.digest) == 64
    stored = hf.runs.get(run.id).artifacts
    assert {n: a.format for n, a in stored.items()} == {
        "x": "npy",
        "frame": "parquet",
        "model": "skops",  # issue 22: scikit-learn estimators are stored with skops
    }
    np.testing.assert_array_equal(hf.runs.load_artifact(run.id, "x"), x)
    pd.testing.assert_frame_equal(hf.runs.load_artifact(run.id, "frame"), frame)
    loaded = hf.runs.load_artifact(run.id, "model")
    np.testing.assert_allclose(loaded.predict(x), model.predict(x))
    with pytest.raises(hf.TrackingError, match=r"no artifact 'weights'.*frame, model, x"):
        hf.runs.load_artifact(run.id, "weights")


class _Marker:
    """Unpickling this writes a file: proof that a blob was deserialized."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (Path(self.path),))  # type: ignore[return-value]


def test_a_tampered_artifact_is_never_deserialized(tmp_path: Path) -> None:
    with hf.start_run() as run:
        rec = run.log_artifact({"weights": {1, 2}}, "model")  # a pickle-format artifact
    assert rec.format == "pickle"
    blob = Path(get_artifact_store().path_of(rec.digest))
    marker = tmp_path / "deserialized"
    blob.write_bytes(pickle.dumps(_Marker(str(marker))))  # an attacker swaps the blob
    with pytest.raises(hf.IntegrityError, match="tampered"):
        hf.runs.load_artifact(run.id, "model")
    assert not marker.exists()
    blob.write_bytes(blob.read_bytes()[:10])  # truncated
    with pytest.raises(hf.IntegrityError, match="truncated"):
        hf.runs.load_artifact(run.id, "model")


def test_lineage_records_git_commit_and_dirty_flag(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], check=True, capture_output=True, text=True, cwd=tmp_path
        ).stdout.strip()

    git("init", "-q")
    (tmp_path / "train.py").write_text("x = 1\n")
    git("add", "train.py")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "init")
    with hf.start_run() as clean:
        pass
    (tmp_path / "train.py").write_text("x = 2\n")
    with hf.start_run() as dirty:
        pass
    head = git("rev-parse", "HEAD")
    assert hf.runs.get(clean.id).lineage["git"] == {"commit": head, "dirty": False}
    assert hf.runs.get(dirty.id).lineage["git"] == {"commit": head, "dirty": True}


def test_outside_a_git_repo_git_lineage_is_none() -> None:
    with hf.start_run() as run:
        pass
    assert hf.runs.get(run.id).lineage["git"] is None


def test_parent_run_and_artifact_store_names_with_deprecated_spellings(tmp_path: Path) -> None:
    """Issue 15.5: one word per thing across packages; the old keywords warn for a release."""
    with hf.start_run("outer") as outer:
        pass
    arts = str(tmp_path / "arts")
    with hf.start_run("new", parent_run=outer.id, artifact_store=arts) as new:
        new.log_artifact({"a": 1}, "blob")
    assert hf.runs.get(new.id).parent_id == outer.id and (tmp_path / "arts").is_dir()
    with pytest.warns(DeprecationWarning, match="use parent_run="):
        old = hf.start_run("old", parent=outer.id)
    old.end()
    with pytest.warns(DeprecationWarning, match="use artifact_store="), hf.start_run(
        "old2", artifacts=arts
    ):
        pass
    assert hf.runs.get(old.id).parent_id == outer.id
    with pytest.raises(hf.TrackingError, match="not both"):
        hf.start_run("x", parent=outer.id, parent_run=outer.id)

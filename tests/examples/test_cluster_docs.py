"""docs/cluster.md as written: its two files, run with a Dask LocalCluster, the store on a
real PostgreSQL and the artifacts on S3 (moto) — runs, study and model in the shared
store, the fitted model in the bucket, and the registered model loads and predicts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hyperflow.store.conformance import moto_s3

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "cluster.md"


def _files(folder: Path) -> list[str]:
    """Save the page's ``# name.py`` blocks into ``folder``; their names."""
    names = []
    for block in re.findall(r"^```python\n(.*?)^```", PAGE.read_text(), re.S | re.M):
        name = re.match(r"# ([\w/]+\.py)\n", block)
        assert name, "every python block of docs/cluster.md is a file"
        (folder / name.group(1)).write_text(block)
        names.append(name.group(1))
    return names


@pytest.mark.slow
def test_the_cluster_page_runs_on_dask_postgres_and_s3(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _files(tmp_path) == ["cluster_pipeline.py", "cluster_run.py"]
    with moto_s3() as s3:
        settings = {
            "HYPERFLOW_STORE": postgres_url,
            "HYPERFLOW_ARTIFACTS": f"s3://{s3['bucket']}/hyperflow",
            "AWS_ENDPOINT_URL": s3["endpoint_url"],
            "AWS_ACCESS_KEY_ID": s3["key"],
            "AWS_SECRET_ACCESS_KEY": s3["secret"],
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERFLOW_")}
        env.update(settings, PYTHONPATH=str(ROOT / "src"))
        done = subprocess.run(
            [sys.executable, "cluster_run.py"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert re.search(r"best slope \d\.\d\d; registered slope:0\.1\.0", done.stdout)
        for key, value in settings.items():
            monkeypatch.setenv(key, value)
        monkeypatch.syspath_prepend(str(tmp_path))
        _check_shared_state(s3)


def _check_shared_state(s3: dict[str, str]) -> None:
    import s3fs

    import hyperflow as hf

    runs = hf.runs.search(pipeline="slope-train")
    assert len(runs) == 8  # every trial tracked in PostgreSQL, wherever it ran
    predictor = hf.registry.load("slope@production")  # its artifact read back from S3
    slope = predictor.artifacts["model"]["slope"]
    assert abs(slope - 3.0) < 1.0  # the search moved towards the true slope
    assert predictor.predict_one({"x": 2.0}) == pytest.approx(2.0 * slope)
    fs = s3fs.S3FileSystem(
        key=s3["key"], secret=s3["secret"], client_kwargs={"endpoint_url": s3["endpoint_url"]}
    )
    stored = fs.find(f"{s3['bucket']}/hyperflow")
    assert stored, "the fitted models are in the bucket"

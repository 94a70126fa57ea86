"""Durable studies: parallel trials in processes, SIGKILL and resume by name."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import optuna
import pytest

import hyperflow as hf
from tests.optimize import pipelines as pl

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_process_pool_trials_are_all_recorded_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hf.db'}"
    study = pl.slow.optimize(
        objective="value",
        n_trials=6,
        n_jobs=2,
        seed=0,
        study="procs",
        storage=url,
        track=False,
        inputs={"pause": 0.05},
    )
    assert len(study.trials) == 6
    assert sorted(t.number for t in study.trials) == list(range(6))
    assert all(t.state == "complete" for t in study.trials)
    configs = {t.config["slow_metrics.wait"] for t in study.trials}
    assert len(configs) == 6  # distinct configs, none duplicated
    workers = {t.user_attrs["hf_worker_pid"] for t in study.optuna.trials}
    assert len(workers) == 2 and os.getpid() not in workers


def test_named_study_resumes_with_more_trials(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hf.db'}"
    first = pl.bowl_pipeline.optimize(
        objective=hf.Objective("loss", maximize=False),
        n_trials=5,
        study="bowl",
        storage=url,
        seed=0,
        track=False,
    )
    assert len(first.trials) == 5
    again = pl.bowl_pipeline.optimize(
        objective=hf.Objective("loss", maximize=False),
        n_trials=4,
        study="bowl",
        storage=url,
        seed=0,
        track=False,
    )
    assert len(again.trials) == 9  # Optuna's meaning: N more
    with pytest.raises(hf.OptimizeError, match="exists with directions"):
        pl.bowl_pipeline.optimize(
            objective="loss", n_trials=1, study="bowl", storage=url, track=False
        )


def test_default_storage_is_the_store_database(tmp_path: Path) -> None:
    pl.bowl_pipeline.optimize(objective="loss", n_trials=2, study="here", track=False)
    assert (tmp_path / ".hyperflow" / "hyperflow.db").exists()
    names = optuna.get_all_study_names(f"sqlite:///{tmp_path / '.hyperflow' / 'hyperflow.db'}")
    assert "here" in names


@pytest.mark.slow
def test_sigkilled_study_resumes_and_loses_no_finished_trial(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hf.db'}"
    script = textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "src")!r}]
        from tests.optimize import pipelines as pl
        pl.slow.optimize(objective="value", n_trials=50, study="killed", storage={url!r},
                         seed=1, track=False, inputs={{"pause": 0.2}})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path)
    storage = optuna.storages.RDBStorage(url)
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            s = optuna.load_study(study_name="killed", storage=storage)
        except KeyError:
            continue
        done = len(s.get_trials(states=(optuna.trial.TrialState.COMPLETE,)))
        if done >= 3:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert done >= 3
    before = optuna.load_study(study_name="killed", storage=storage)
    finished = {
        t.number: t.value for t in before.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    }
    study = pl.slow.optimize(
        objective="value",
        n_trials=2,
        study="killed",
        storage=url,
        seed=1,
        track=False,
        inputs={"pause": 0.0},
    )
    after = {t.number: t for t in study.trials}
    for number, value in finished.items():  # nothing finished was lost
        assert after[number].state == "complete" and after[number].value == value
    abandoned = [t for t in study.trials if t.state == "fail"]
    assert all("abandoned" in (t.error or "") for t in abandoned)
    assert not [t for t in study.trials if t.state == "running"]
    assert sum(t.state == "complete" for t in study.trials) == len(finished) + 2


@pytest.mark.slow
def test_dask_cluster_runs_all_trials(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        study = pl.slow.optimize(
            objective="value",
            n_trials=6,
            executor=client.get_executor(),
            seed=0,
            study="dask",
            storage=f"sqlite:///{tmp_path / 'hf.db'}",
            track=False,
            inputs={"pause": 0.5},
        )
    assert sorted(t.number for t in study.trials) == list(range(6))
    assert all(t.state == "complete" for t in study.trials)
    workers = {t.user_attrs["hf_worker_pid"] for t in study.optuna.trials}
    assert len(workers) == 2 and os.getpid() not in workers  # ran on both cluster workers


@pytest.mark.parametrize("other_alive", [False, True])
def test_a_trial_orphaned_between_ask_and_stamp_is_recovered_unless_a_peer_lives(
    tmp_path: Path, other_alive: bool
) -> None:
    import socket

    url = f"sqlite:///{tmp_path / 'hf.db'}"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    peer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        raw = optuna.create_study(study_name="orphan", storage=url, direction="maximize")
        raw.ask()  # RUNNING, never stamped: its process died right after Optuna's ask
        owners = [[socket.gethostname(), dead.pid]]
        if other_alive:
            owners.append([socket.gethostname(), peer.pid])
        raw.set_user_attr("hf_processes", owners)
        study = pl.bowl_pipeline.optimize(
            objective="loss", n_trials=1, study="orphan", storage=url, track=False
        )
    finally:
        peer.kill()
        peer.wait()
    first = study.trials[0]
    if other_alive:  # it may be the live peer's, between its ask and its stamp
        assert first.state == "running"
    else:
        assert first.state == "fail" and "died while starting it" in (first.error or "")

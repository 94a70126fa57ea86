"""Rollouts: canary steps on their analysis, promotion, rollback on failures and crashes,
waiting on too little data, the config, and the ``hyperflow rollout`` command."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hyperflow as hf
from hyperflow import ConfigError, RetrainError
from hyperflow.cli import app
from hyperflow.retrain import (
    abort_rollout,
    events,
    rollout,
    rollout_config,
    rollout_status,
    rollout_tick,
)
from tests.retrain.rollout_helpers import log_arm, two_versions

runner = CliRunner()
FAST = {"interval": 5.0, "min_requests": 20, "min_feedback": 10, "failure_limit": 2, "max_wait": 30}


def _kinds(url: str) -> list[str]:
    return [e.kind for e in events("m", store=url)]


def test_a_healthy_canary_steps_up_and_is_promoted(store_url: str) -> None:
    v1, v2 = two_versions(store_url)
    state = rollout("m", canary="candidate", steps=[25, 100], store=store_url, **FAST)
    assert state.status == "running" and state.percent == 25
    policy = hf.registry.traffic("m", store=store_url)
    assert policy is not None and policy.weights == {"production": 75.0, v2: 25.0}
    log_arm(store_url, v1, "primary", n=60, error=0.5)
    log_arm(store_url, v2, "canary", n=30, error=0.4)
    assert rollout_tick("m", store=store_url).status == "running"  # not due yet
    done = rollout_tick("m", now=time.time() + 6, store=store_url)
    assert done is not None and done.status == "done" and done.reason == "promoted"
    assert hf.registry.get("m@production", store=store_url).version == v2
    assert hf.registry.traffic("m", store=store_url) is None
    assert _kinds(store_url)[-3:] == ["rollout.start", "rollout.step", "promote"]
    chain = events("m", store=store_url)
    assert chain[-1].cause_id == chain[-2].id and chain[-2].cause_id == chain[-3].id
    moved = hf.registry.history("m", "production", store=store_url)[-1]
    assert "canary passed" in str(moved.reason)


def test_a_worse_canary_is_rolled_back_after_failure_limit(store_url: str) -> None:
    v1, v2 = two_versions(store_url)
    rollout("m", canary="candidate", steps=[50, 100], store=store_url, **FAST)
    log_arm(store_url, v1, "primary", n=60, error=0.1)
    log_arm(store_url, v2, "canary", n=60, error=5.0)  # far worse live MAE
    first = rollout_tick("m", now=time.time() + 6, store=store_url)
    assert first is not None and first.status == "running" and first.failures == 1
    last = rollout_tick("m", now=time.time() + 12, store=store_url)
    assert last is not None and last.status == "reverted" and "metric" in str(last.reason)
    assert hf.registry.traffic("m", store=store_url) is None
    assert hf.registry.get("m@production", store=store_url).version == v1
    removed = hf.registry.history("m", "candidate", store=store_url)[-1]
    assert removed.to_version is None and "rolled back" in str(removed.reason)
    assert _kinds(store_url)[-1] == "rollback"


def test_a_crashing_canary_is_rolled_back_within_one_interval(store_url: str) -> None:
    v1, v2 = two_versions(store_url)
    rollout("m", canary="candidate", steps=[10, 100], store=store_url,
            **{**FAST, "interval": 10.0})
    log_arm(store_url, v1, "primary", n=30)
    log_arm(store_url, v2, "canary", n=12, status=500)
    t0 = time.time()
    assert rollout_tick("m", now=t0 + 1, store=store_url).failures == 1  # type: ignore[union-attr]
    assert rollout_tick("m", now=t0 + 2, store=store_url).failures == 1  # type: ignore[union-attr]
    last = rollout_tick("m", now=t0 + 6.5, store=store_url)
    assert last is not None and last.status == "reverted" and "errors" in str(last.reason)
    assert hf.registry.traffic("m", store=store_url) is None


def test_too_little_data_waits_then_stops_after_max_wait(store_url: str) -> None:
    _, v2 = two_versions(store_url)
    rollout("m", canary="candidate", steps=[10, 100], store=store_url,
            **{**FAST, "max_wait": 10})
    log_arm(store_url, v2, "canary", n=3)
    waiting = rollout_tick("m", now=time.time() + 6, store=store_url)
    assert waiting is not None and waiting.status == "running" and waiting.failures == 0
    assert "requests" in str(waiting.reason) and _kinds(store_url)[-1] == "rollout.wait"
    stopped = rollout_tick("m", now=time.time() + 12, store=store_url)
    assert stopped is not None and stopped.status == "failed"
    assert "max_wait" in str(stopped.reason)
    assert hf.registry.traffic("m", store=store_url) is None


def test_shadow_mirrors_and_passes_without_moving_aliases(store_url: str) -> None:
    v1, v2 = two_versions(store_url)
    state = rollout("m", shadow="candidate", store=store_url, **FAST)
    policy = hf.registry.traffic("m", store=store_url)
    assert state.mode == "shadow" and policy is not None and policy.shadow == v2
    assert policy.weights == {"production": 100.0}
    log_arm(store_url, v1, "primary", n=30, error=0.5)
    log_arm(store_url, v2, "shadow", n=30, error=0.5)
    done = rollout_tick("m", now=time.time() + 6, store=store_url)
    assert done is not None and done.status == "done" and "shadow passed" in str(done.reason)
    assert hf.registry.get("m@production", store=store_url).version == v1
    assert hf.registry.traffic("m", store=store_url) is None


def test_abort_and_one_rollout_at_a_time(store_url: str) -> None:
    two_versions(store_url)
    rollout("m", canary="candidate", store=store_url, **FAST)
    with pytest.raises(RetrainError, match="is running"):
        rollout("m", canary="candidate", store=store_url, **FAST)
    stopped = abort_rollout("m", reason="by hand", store=store_url)
    assert stopped is not None and stopped.status == "reverted" and stopped.reason == "by hand"
    assert hf.registry.traffic("m", store=store_url) is None
    assert abort_rollout("m", store=store_url) is None
    last = rollout_status("m", store=store_url)
    assert last is not None and last.action_id == stopped.action_id


def test_bad_requests_are_clear_errors(store_url: str) -> None:
    two_versions(store_url)
    with pytest.raises(RetrainError, match="exactly one"):
        rollout("m", store=store_url)
    with pytest.raises(RetrainError, match="candidat"):
        rollout("m", canary="candidat", store=store_url)
    hf.registry.set_alias("m", "same", hf.registry.get("m@production", store=store_url).version,
                          store=store_url)
    with pytest.raises(RetrainError, match="same version"):
        rollout("m", canary="same", store=store_url)


def test_the_rollout_config_is_validated() -> None:
    assert rollout_config({"steps": [5, 100], "interval": "2m"}).interval == 120.0
    with pytest.raises(ConfigError, match="did you mean 'failure_limit'"):
        rollout_config({"failure_limt": 3})
    with pytest.raises(ConfigError, match="increasing canary percentages"):
        rollout_config({"steps": [50, 10]})
    with pytest.raises(ConfigError, match="interval"):
        rollout_config({"interval": "soon"})


def _project(tmp_path: Path, url: str, extra: str = "") -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.hyperflow]\nname = "m"\nstore = "{url}"\n' + extra, encoding="utf-8"
    )


def test_the_rollout_command_starts_shows_and_aborts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    _project(tmp_path, url, "[tool.hyperflow.rollout]\ninterval = \"1m\"\n")
    monkeypatch.chdir(tmp_path)
    _, v2 = two_versions(url)
    started = runner.invoke(app, ["rollout", "m", "--canary", "candidate", "--steps", "20,100",
                                  "--json"])
    assert started.exit_code == 0, started.output
    got = json.loads(started.output)
    assert got["status"] == "running" and got["percent"] == 20 and got["steps"] == [20, 100]
    shown = runner.invoke(app, ["rollout", "m", "--status", "--json"])
    assert json.loads(shown.output)["challenger"] == f"candidate={v2}"
    aborted = runner.invoke(app, ["rollout", "m", "--abort", "--json"])
    assert json.loads(aborted.output)["status"] == "reverted"
    assert hf.registry.traffic("m", store=url) is None
    again = runner.invoke(app, ["rollout", "m", "--abort"])
    assert again.exit_code != 0 and "no rollout" in str(again.exception)


def test_a_misspelt_rollout_key_names_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    _project(tmp_path, url, "[tool.hyperflow.rollout]\nmin_request = 5\n")
    monkeypatch.chdir(tmp_path)
    two_versions(url)
    result = runner.invoke(app, ["rollout", "m", "--canary", "candidate"])
    assert result.exit_code != 0 and "did you mean 'min_requests'" in str(result.exception)


def test_rollback_ends_a_traffic_split_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    _project(tmp_path, url)
    monkeypatch.chdir(tmp_path)
    v1, v2 = two_versions(url)
    hf.registry.set_alias("m", "production", v2, store=url)  # a promotion to roll back
    hf.registry.set_traffic("m", {"production": 50, "candidate": 50}, store=url)
    result = runner.invoke(app, ["rollback", "m", "--json"])
    assert result.exit_code == 0, result.output
    assert hf.registry.traffic("m", store=url) is None
    assert hf.registry.get("m@production", store=url).version == v1


def test_rollout_watch_advances_it_to_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    _project(tmp_path, url, '[tool.hyperflow.rollout]\ninterval = "0.3s"\nmin_requests = 20\n'
             "min_feedback = 10\n")
    monkeypatch.chdir(tmp_path)
    v1, v2 = two_versions(url)
    started = runner.invoke(app, ["rollout", "m", "--canary", "candidate", "--steps", "50,100"])
    assert started.exit_code == 0, started.output
    log_arm(url, v1, "primary", n=30)
    log_arm(url, v2, "canary", n=30)
    watched = runner.invoke(app, ["rollout", "m", "--watch", "--json"])
    assert watched.exit_code == 0, watched.output
    assert json.loads(watched.output)["status"] == "done"
    assert hf.registry.get("m@production", store=url).version == v2

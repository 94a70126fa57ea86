"""The agent: one acts per model (leases), it resumes what a killed agent left, and it
drives a rollout to its end; ``hyperflow agent --once`` through the command line."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hyperflow as hf
from hyperflow import ConfigError
from hyperflow.cli import app
from hyperflow.monitor import AlertConfig, MonitorConfig
from hyperflow.retrain import Agent, events, rollout
from hyperflow.retrain._config import AgentConfig, RolloutConfig
from hyperflow.retrain._triggers import TriggerConfig
from hyperflow.serve import create_app
from hyperflow.store import get_lease_store, get_monitor_store
from tests.retrain.conftest import Project
from tests.retrain.project import write_rows
from tests.retrain.rollout_helpers import log_arm, two_versions
from tests.serve import traffic_models
from tests.serve.conftest import Running, servers

ROOT = Path(__file__).resolve().parents[2]
FAST = RolloutConfig(steps=(50, 100), interval=0.3, min_requests=20, min_feedback=10,
                     failure_limit=2, max_wait=60)
runner = CliRunner()


@pytest.fixture
def serve_app() -> Iterator[Callable[..., Running]]:
    """Real uvicorn servers on 127.0.0.1 (stopped after the test)."""
    with servers() as start:
        yield start


def _agent(url: str, ttl: float = 30.0) -> Agent:
    return Agent(["m"], store=url, config=AgentConfig(interval=0.1, lease_ttl=ttl),
                 triggers=TriggerConfig(), rollout_cfg=FAST)


def test_of_two_agents_on_one_store_exactly_one_acts(store_url: str) -> None:
    two_versions(store_url)
    rollout("m", canary="candidate", store=store_url, config=FAST, owner="someone")
    first, second = _agent(store_url), _agent(store_url)
    gate = threading.Barrier(2)
    reports: dict[str, bool] = {}

    def run(agent: Agent) -> None:
        gate.wait()
        (rep,) = agent.run_once()
        reports[agent.owner] = rep.acted

    threads = [threading.Thread(target=run, args=(a,)) for a in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sorted(reports.values()) == [False, True]
        winner = first if reports[first.owner] else second
        loser = second if winner is first else first
        (again,) = loser.run_once()
        assert not again.acted and again.held_by == winner.owner
        (action,) = get_lease_store(store_url).unfinished("m")
        assert action.owner == winner.owner  # the winner took the rollout over
    finally:
        first.close()
        second.close()


def test_the_agent_drives_a_rollout_to_promotion(store_url: str) -> None:
    v1, v2 = two_versions(store_url)
    rollout("m", canary="candidate", store=store_url, config=FAST)
    agent = _agent(store_url)
    try:
        log_arm(store_url, v1, "primary", n=40, error=0.5)
        log_arm(store_url, v2, "canary", n=40, error=0.5)
        time.sleep(FAST.interval + 0.05)
        (rep,) = agent.run_once()
        assert rep.acted and rep.rollout is not None and rep.rollout["status"] == "done"
        assert hf.registry.get("m@production", store=store_url).version == v2
        kinds = [e.kind for e in events("m", store=store_url)]
        assert kinds[-4:] == ["rollout.start", "agent", "rollout.step", "promote"]
    finally:
        agent.close()


def _project(tmp_path: Path, url: str) -> dict[str, str]:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.hyperflow]\nname = "m"\nstore = "{url}"\n'
        '[tool.hyperflow.agent]\ninterval = "0.2s"\nlease_ttl = "1s"\n'
        '[tool.hyperflow.rollout]\nsteps = [50, 100]\ninterval = "0.5s"\nmin_requests = 20\n'
        "min_feedback = 10\n",
        encoding="utf-8",
    )
    paths = [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))


def _wait(predicate: object, timeout: float = 30.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.slow
def test_sigkill_mid_canary_then_a_new_agent_resumes_and_finishes(
    tmp_path: Path, store_url: str
) -> None:
    """Killed with SIGKILL mid-canary, the agent leaves the split with a running action;
    the next agent takes it over once the lease ran out and drives it to the end."""
    url = store_url
    env = _project(tmp_path, url)
    v1, v2 = two_versions(url)
    rollout("m", canary="candidate", store=url, owner="someone")
    leases = get_lease_store(url)
    proc = subprocess.Popen([sys.executable, "-m", "hyperflow", "agent"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait(lambda: str(leases.unfinished("m")[0].owner).startswith("agent:"))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    (orphan,) = leases.unfinished("m")
    policy = hf.registry.traffic("m", store=url)
    assert policy is not None and policy.weights == {"production": 50.0, v2: 50.0}
    _wait(lambda: leases.holder("model:m") is None)  # the dead agent's lease runs out
    log_arm(url, v1, "primary", n=40)
    log_arm(url, v2, "canary", n=40)
    time.sleep(0.6)
    done = subprocess.run([sys.executable, "-m", "hyperflow", "agent", "--once", "--json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    (rep,) = json.loads(done.stdout)
    assert rep["acted"] and any(f"rollout {orphan.id}" in r for r in rep["resumed"])
    assert rep["rollout"]["status"] == "done"
    assert hf.registry.traffic("m", store=url) is None
    assert hf.registry.get("m@production", store=url).version == v2
    assert leases.unfinished("m") == []


def test_agent_once_from_the_command_line_reports_the_holder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    _project(tmp_path, url)
    monkeypatch.chdir(tmp_path)
    two_versions(url)
    get_lease_store(url).acquire("model:m", "agent:elsewhere", 30.0)
    result = runner.invoke(app, ["agent", "--once", "--json"])
    assert result.exit_code == 0, result.output
    (rep,) = json.loads(result.output)
    assert rep == {"model": "m", "acted": False, "held_by": "agent:elsewhere"}


@pytest.mark.slow
def test_a_crashing_canary_in_a_real_server_is_rolled_back_within_one_interval(
    serve_app: Callable[..., Running],
) -> None:
    """uvicorn on 127.0.0.1 serves visit@production; the candidate raises on every call.
    The agent ticking the canary sends all traffic back to the champion within one
    analysis interval of the first errors."""
    _, v2 = traffic_models.two_versions(canary_coef=-1.0)
    cfg = RolloutConfig(steps=(50, 100), interval=3.0, min_requests=20, min_feedback=0,
                        failure_limit=2, max_wait=60)
    rollout("visit", canary="candidate", config=cfg)
    srv = serve_app(create_app("visit@production", poll_interval_s=0.05))
    agent = Agent(["visit"], config=AgentConfig(interval=0.1), triggers=TriggerConfig(),
                  rollout_cfg=cfg)
    try:
        first_error = None
        state = None
        deadline = time.monotonic() + 30
        while state is None or state["status"] == "running":
            assert time.monotonic() < deadline, state
            r = srv.client.post("/predict", json={"user": "u", "x": 1.0})
            if r.status_code == 500 and first_error is None:
                first_error = time.monotonic()
            (rep,) = agent.run_once()
            state = rep.rollout
            time.sleep(0.02)
        assert first_error is not None
        assert state["status"] == "reverted" and "errors" in state["reason"]
        assert time.monotonic() - first_error < cfg.interval + 1.0  # log flush lag included
        time.sleep(0.3)  # the server's reload poll picks the cleared policy up
        arms = {srv.client.post("/predict", json={"user": "u", "x": 1.0}).status_code
                for _ in range(30)}
        assert arms == {200}
        assert "candidate" not in hf.registry.get(f"visit:{v2}").aliases
    finally:
        agent.close()
        srv.stop()


@pytest.mark.slow
def test_an_alert_leads_to_retrain_gate_canary_and_promotion_as_one_chain(
    project: Project, tmp_path: Path
) -> None:
    """The loop with no hand step: an open alert -> trigger -> retrain on the new rows ->
    gate -> canary at 50 % -> promotion, each event caused by the one before."""
    champion = project(flip=0.3, gate=(
        '[tool.hyperflow.retrain]\non_alert = ["accuracy-drop"]\n'
        '[tool.hyperflow.retrain.inputs]\npath = "new.csv"\n'
        '[[tool.hyperflow.alerts]]\nname = "accuracy-drop"\nwhen = "metrics.accuracy < 0.8"\n'
    ))
    write_rows(tmp_path / "new.csv", seed=7)
    get_monitor_store().open_alert("accuracy-drop", "points", champion.version, "critical",
                                   time.time(), None, {"figures": {"metrics.accuracy": 0.6}})
    agent = Agent(["points"], config=AgentConfig(interval=0.1), rollout_cfg=FAST)
    try:
        (first,) = agent.run_once()
        assert first.triggers == ["alert 'accuracy-drop' is firing"], first
        assert first.decision is not None and first.decision["passed"], first.decision
        assert first.rollout is not None and first.rollout["percent"] == 50
        challenger = str(first.decision["challenger"])
        log_arm("", champion.version, "primary", n=30, name="points")
        log_arm("", challenger, "canary", n=30, name="points")
        time.sleep(FAST.interval + 0.05)
        (second,) = agent.run_once()
        assert second.rollout is not None and second.rollout["status"] == "done", second
        assert hf.registry.get("points@production").version == challenger
        chain = events("points")
        assert [e.kind for e in chain] == [
            "alert", "trigger", "retrain", "gate", "rollout.start", "rollout.step", "promote"
        ]
        assert all(b.cause_id == a.id for a, b in itertools.pairwise(chain))
        (third,) = agent.run_once()  # the alert was handled: nothing fires again
        assert third.triggers == [] and third.decision is None
    finally:
        agent.close()


@pytest.mark.slow
def test_a_retrain_left_running_by_a_killed_agent_is_run_again(
    project: Project, tmp_path: Path
) -> None:
    """What SIGKILL mid-retrain leaves: a running ``retrain`` action of a dead owner whose
    lease ran out. The next agent reverts it and runs the retrain again, with its cause."""
    project(flip=0.3, gate='[tool.hyperflow.retrain.inputs]\npath = "new.csv"\n')
    write_rows(tmp_path / "new.csv", seed=7)
    cause = hf.retrain.record_event("points", "trigger", {"trigger": "schedule"})
    leases = get_lease_store()
    orphan = leases.start_action("points", "retrain", {"cause": cause}, owner="agent:dead")
    agent = Agent(["points"], config=AgentConfig(interval=0.1), triggers=TriggerConfig(),
                  rollout_cfg=FAST)
    try:
        (rep,) = agent.run_once()
    finally:
        agent.close()
    assert rep.resumed == [f"retrain {orphan.id} (from agent:dead): run again"], rep
    assert rep.decision is not None and rep.decision["passed"]
    assert leases.get_action(orphan.id).status.value == "reverted"
    retrain = next(e for e in events("points") if e.kind == "retrain")
    assert retrain.cause_id == cause  # the re-run carries the original cause
    (running,) = leases.unfinished("points")
    assert running.kind == "rollout" and running.owner == agent.owner


def test_a_pass_checks_fires_the_alert_trigger_and_prunes(
    project: Project, tmp_path: Path
) -> None:
    """Monitoring checks open an alert, the alert's trigger retrains in the same pass, and
    the prediction log is pruned to ``[tool.hyperflow.predictions] max_age``."""
    champion = project(gate='[tool.hyperflow.predictions]\nmax_age = "1d"\n')
    log_arm("", champion.version, "primary", n=5, name="points", at=time.time() - 3 * 86400)
    monitor = MonitorConfig(every="1h", channels={"log": {"type": "log"}})
    monitor.alerts = [AlertConfig("quiet", "requests < 10")]
    agent = Agent(["points"], config=AgentConfig(interval=0.1, prune=True), monitor=monitor,
                  triggers=TriggerConfig(on_alert=("quiet",)), rollout_cfg=FAST)
    try:
        (rep,) = agent.run_once()
    finally:
        agent.close()
    assert rep.checks == 1 and rep.triggers == ["alert 'quiet' is firing"], rep
    assert rep.decision is not None and rep.pruned == 5
    assert hf.predictions.search("points").empty
    assert [e.kind for e in events("points")][:3] == ["alert", "trigger", "retrain"]


def test_prune_without_a_retention_period_is_an_error(store_url: str) -> None:
    with pytest.raises(ConfigError, match="max_age"):
        Agent(["m"], store=store_url, config=AgentConfig(prune=True), triggers=TriggerConfig(),
              rollout_cfg=FAST)

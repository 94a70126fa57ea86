"""``hyperflow rollout NAME --canary ALIAS | --shadow ALIAS | --status | --abort`` and
``hyperflow agent [--once]``: gradual rollouts and the closed loop's long-running agent."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from hyperflow.cli._app import JsonOpt, _project, app
from hyperflow.cli._common import CliError, emit

__all__ = ["agent", "rollout"]


def _state(state: Any) -> dict[str, Any]:
    checks = state.analysis.get("checks", [])
    return {
        "action": state.action_id, "model": state.name, "mode": state.mode,
        "status": state.status, "percent": state.percent,
        "champion": "=".join(state.champion), "challenger": "=".join(state.challenger),
        "steps": list(state.steps), "failures": state.failures, "reason": state.reason,
        "checks": {c["name"]: f"{c['verdict']} ({c.get('value')} vs {c.get('limit')})"
                   for c in checks},
    }


def _steps(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise CliError(f"--steps must be percentages like 10,50,100, but got {text!r}") from None


def _watch(name: str, as_json: bool) -> Any:
    """Tick the rollout here until it ends, holding the model's lease (an agent holding
    it drives the rollout itself: then this only follows it)."""
    import os

    from hyperflow.retrain import RolloutConfig, rollout_status, rollout_tick
    from hyperflow.store import get_lease_store

    leases, me = get_lease_store(), f"watch:{os.getpid()}"
    state = rollout_status(name)
    last = None
    try:
        while state is not None and state.status == "running":
            cfg = RolloutConfig.from_json(_config_of(state))
            time.sleep(max(0.05, min(cfg.interval / (2 * cfg.failure_limit), 5.0)))
            ours = leases.acquire(f"model:{name}", me, max(30.0, 3 * cfg.interval))
            state = rollout_tick(name) if ours else rollout_status(name)
            if state is not None and not as_json and (state.percent, state.status) != last:
                last = (state.percent, state.status)
                typer.echo(f"{name}: {state.status} at {state.percent:g}% "
                           f"({state.reason or 'ok'})")
    finally:
        leases.release(f"model:{name}", me)
    return state


def _config_of(state: Any) -> dict[str, Any]:
    from hyperflow.store import get_lease_store

    return dict(get_lease_store().get_action(state.action_id).state["config"])


@app.command()
def rollout(
    name: str,
    canary: Annotated[str | None, typer.Option(help="Alias to canary, e.g. candidate.")] = None,
    shadow: Annotated[str | None, typer.Option(help="Alias to mirror requests to.")] = None,
    steps: Annotated[str | None, typer.Option(help="Canary percents, e.g. 10,50,100.")] = None,
    interval: Annotated[str | None, typer.Option(help="Analysis interval, e.g. 10m.")] = None,
    min_requests: Annotated[int | None, typer.Option(help="Requests per step.")] = None,
    failure_limit: Annotated[int | None, typer.Option(help="Failed checks to roll back.")] = None,
    max_wait: Annotated[str | None, typer.Option(help="Longest wait for data, e.g. 1h.")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Advance it here until done.")] = False,
    status: Annotated[bool, typer.Option("--status", help="Show the rollout.")] = False,
    abort: Annotated[bool, typer.Option("--abort", help="Stop it: traffic back.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Roll out a challenger gradually (canary steps) or as a shadow; or show/stop one."""
    from hyperflow import retrain

    _project()
    if sum(map(bool, (canary, shadow, status, abort))) > 1:
        raise CliError("pass one of --canary, --shadow, --status or --abort")
    if abort:
        stopped = retrain.abort_rollout(name, reason="aborted from the command line")
        if stopped is None:
            raise CliError(f"no rollout of {name!r} is running")
        emit(_state(stopped), as_json=as_json)
        return
    if canary or shadow:
        state = retrain.rollout(
            name, canary=canary, shadow=shadow, steps=_steps(steps), interval=interval,
            min_requests=min_requests, failure_limit=failure_limit, max_wait=max_wait,
        )
        if not as_json:
            typer.echo(f"{name}: {state.mode} of {'='.join(state.challenger)} started "
                       f"at {state.percent:g}%")
    elif not (status or watch):
        raise CliError("pass --canary ALIAS or --shadow ALIAS (or --status, --abort, --watch)")
    found = _watch(name, as_json) if watch else retrain.rollout_status(name)
    if found is None:
        raise CliError(f"model {name!r} has no rollout; start one with --canary ALIAS")
    emit(_state(found), as_json=as_json)


def _report(rep: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {k: v for k, v in asdict(rep).items() if v not in (None, [], 0) or k == "acted"}


@app.command()
def agent(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit (cron).")] = False,
    interval: Annotated[str | None, typer.Option(help="Time between passes, e.g. 60s.")] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", help="A model to look after (repeat).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the closed loop: checks, triggers, retrain, gate, canary steps, retention."""
    import signal
    import threading

    from hyperflow.retrain import Agent
    from hyperflow.retrain._config import agent_config

    _project()
    runner = Agent(model or None, config=agent_config(interval=interval))
    if once:
        try:
            reports = [_report(r) for r in runner.run_once()]
        finally:
            runner.close()
        emit(reports, as_json=as_json, title="agent pass")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    typer.echo(f"agent {runner.owner} looking after {', '.join(runner.models)} "
               f"every {runner.config.interval:g} s")
    try:
        runner.forever(stop)
    except KeyboardInterrupt:
        stop.set()

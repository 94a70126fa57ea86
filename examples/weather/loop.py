"""The demo's closed loop: the label-shift alert retrains, the gate compares, a canary
on replayed traffic promotes (or rolls back), with no hand step.

The monitoring step left an open alert (``weather-label-shift``). The agent sees it
(trigger ``on_alert``), retrains the champion's config on the recent labelled window
read back from the prediction log and its feedback (the 2014 days, the labels after the
shift; 2015 is the fresh holdout both models are scored on), and the gate decides. A passing
challenger becomes ``weather@candidate`` and the agent starts a canary: the server
(still on ``weather@production``) sends it half of the replayed 2015 traffic; each
analysis interval (seconds here, minutes in production) the agent compares error rate,
latency and live accuracy per arm, then promotes at 100 %.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import hyperflow as hf
from examples.weather.pipeline import MEASUREMENTS, TARGET, raw_data
from hyperflow.retrain import Agent, Event
from hyperflow.retrain._config import AgentConfig, RolloutConfig
from hyperflow.retrain._triggers import TriggerConfig

ALERT = "weather-label-shift"
#: Scaled down for the demo: 2-second analysis intervals instead of minutes.
ROLLOUT = RolloutConfig(steps=(50, 100), interval=2.0, min_requests=40, min_feedback=30,
                        failure_limit=2, max_wait=60.0)


@dataclass
class LoopResult:
    """What the loop did: the agent's passes, the chain of events, the final alias."""

    decision: dict[str, Any] | None = None
    rollout: dict[str, Any] | None = None
    chain: list[Event] = field(default_factory=list)
    production: str = ""
    canary_requests: int = 0
    seconds: float = 0.0


#: How far back the retrain looks: the label shift made older labels stale, so the
#: challenger learns from the recent labelled years only (a sliding window; with every
#: day since 2012 it scores *worse* on 2015 than the champion and the gate says so).
RECENT = pd.Timedelta(days=730)


def labelled_window(path: Path) -> Path:
    """The most recent ``RECENT`` of labelled days: training days and every served day
    whose label came back as feedback."""
    days = raw_data()
    logged = hf.predictions.search("weather")
    logged = logged[logged["ground_truth"].notna()].drop_duplicates("request_id")
    served = pd.DataFrame(list(logged["inputs"]))
    served[TARGET] = list(logged["ground_truth"])
    served["date"] = pd.to_datetime(served["date"])
    base = days[days["date"] < "2014-01-01"]
    both = pd.concat([base, served[["date", *MEASUREMENTS, TARGET]]], ignore_index=True)
    both = both[both["date"] > both["date"].max() - RECENT]
    path.parent.mkdir(parents=True, exist_ok=True)
    both.drop_duplicates("date").sort_values("date").to_csv(path, index=False)
    return path


def close_the_loop(replay: Callable[[pd.DataFrame], int], timeout: float = 90.0) -> LoopResult:
    """Run agent passes until the canary is over; ``replay(days)`` sends live traffic
    (with feedback) to a server on ``weather@production`` and returns how many it sent."""
    t0 = time.perf_counter()
    data = labelled_window(Path(".hyperflow") / "demo" / "weather-labelled.csv")
    agent = Agent(
        ["weather"], config=AgentConfig(interval=0.5, monitor=False),
        triggers=TriggerConfig(on_alert=(ALERT,)), rollout_cfg=ROLLOUT,
        inputs={"source": str(data), "split_date": "2015-01-01"},
    )
    result = LoopResult()
    try:
        (first,) = agent.run_once()  # alert -> trigger -> retrain -> gate -> canary 50 %
        result.decision, result.rollout = first.decision, first.rollout
        if first.errors:
            raise RuntimeError(f"the agent's pass failed: {first.errors}")
        days = raw_data()
        live = days[days["date"] >= "2015-01-01"]
        deadline = time.monotonic() + timeout
        chunk = 0
        while result.rollout is not None and result.rollout["status"] == "running":
            if time.monotonic() > deadline:
                raise RuntimeError(f"the canary did not finish in {timeout:.0f} s")
            start = (chunk * 60) % len(live)
            result.canary_requests += replay(live.iloc[start : start + 60])
            chunk += 1
            (rep,) = agent.run_once()
            result.rollout = rep.rollout or result.rollout
    finally:
        agent.close()
    result.chain = hf.events("weather")
    result.production = hf.registry.get("weather@production").version
    result.seconds = time.perf_counter() - t0
    return result


def describe(event: Event) -> str:
    """One line of the chain for the summary."""
    d = event.detail
    text = {
        "alert": lambda: f"{d.get('rule')} (version {d.get('version')})",
        "trigger": lambda: str(d.get("reason")),
        "retrain": lambda: f"{d.get('mode', 'refit')}: run {str(d.get('run_id'))[:8]}, "
        f"{d.get('recomputed')} node(s) recomputed, {d.get('cached')} cached",
        "gate": lambda: f"{'passed' if d.get('passed') else 'failed'}: challenger "
        f"{d.get('challenger')} vs champion {d.get('champion')}",
        "rollout.start": lambda: f"{d.get('mode')} of {d.get('challenger')}, steps "
        f"{d.get('steps')}",
        "rollout.step": lambda: f"{d.get('verdict')} at {d.get('percent')}%",
        "rollout.wait": lambda: f"waiting at {d.get('percent')}%: {d.get('waiting')}",
        "promote": lambda: f"{d.get('alias')} -> {d.get('version')} (from {d.get('from')})",
        "rollback": lambda: f"{d.get('reason')}",
    }.get(event.kind, lambda: str(d))()
    cause = f" <- #{event.cause_id}" if event.cause_id else ""
    return f"#{event.id} {event.kind}{cause}: {text}"


def summary_rows(loop: LoopResult) -> list[tuple[str, str]]:
    """The loop's lines of the demo summary: the gate, the canary, the chain, the alias."""
    decision, ro = loop.decision or {}, loop.rollout or {}
    rows = [
        ("loop: gate", f"{'passed' if decision.get('passed') else 'failed'}: "
         + ", ".join(decision.get("rules", []))),
        ("loop: canary", f"{ro.get('status')} ({ro.get('reason')}), {loop.canary_requests} "
         f"replayed requests in {loop.seconds:.1f} s"),
    ]
    rows += [("loop: event", describe(e)) for e in loop.chain]
    rows.append(("final alias", f"weather@production -> {loop.production}"))
    return rows

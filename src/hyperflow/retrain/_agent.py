"""``hyperflow agent``: the closed loop as one long-running (or ``--once``) process.

One pass per model, under the model's lease (``hf_leases``, scope ``model:NAME``; of
two agents on one store exactly one acts, the other reports who holds it):

1. resume what a dead owner left half-done (``hf_actions``): a rollout is taken over
   and routes as its state says; a retrain is run again with its cause; a traffic split
   whose rollout is over is cleared;
2. monitoring checks (``[tool.hyperflow.monitor] every``), which open alerts;
3. with no rollout running: the triggers; one that fires retrains through the gate,
   and a passing challenger starts a canary rollout;
4. the running rollout's tick (analysis, next step, promotion or rollback);
5. retention: the prediction log pruned (``[tool.hyperflow.agent] prune = true``).

Every action is an event whose cause is the event before it (alert -> trigger ->
retrain -> gate -> rollout steps -> promotion). While a pass runs, a background thread
renews the lease, so a long retrain keeps it; a killed agent's lease runs out after
``lease_ttl`` and the next agent resumes its work.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hyperflow._ids import random_id
from hyperflow.retrain import _seams
from hyperflow.retrain._config import AgentConfig, RolloutConfig, agent_config, rollout_config
from hyperflow.retrain._events import record_event
from hyperflow.retrain._rollout import adopt_rollout, rollout, rollout_tick
from hyperflow.retrain._triggers import TriggerConfig, due_triggers, trigger_config
from hyperflow.store import Action, ActionStatus, LeaseStore, acting_as, get_lease_store

__all__ = ["Agent", "PassReport"]

_log = logging.getLogger("hyperflow.agent")
_PRUNE_EVERY = 3600.0
#: The alias a passing challenger gets, and that the canary rolls out.
CHALLENGER = "candidate"


@dataclass
class PassReport:
    """What one pass did for one model."""

    model: str
    acted: bool
    held_by: str | None = None
    resumed: list[str] = field(default_factory=list)
    checks: int = 0
    triggers: list[str] = field(default_factory=list)
    decision: dict[str, Any] | None = None
    rollout: dict[str, Any] | None = None
    pruned: int | None = None
    errors: list[str] = field(default_factory=list)


class _Heartbeat:
    """Renews the agent's leases every ``ttl / 3`` while it runs."""

    def __init__(self, leases: LeaseStore, owner: str, ttl: float) -> None:
        self.leases, self.owner, self.ttl = leases, owner, ttl
        self.scopes: set[str] = set()
        self.lost: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="hf-agent-lease")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            for scope in list(self.scopes):
                try:
                    if not self.leases.renew(scope, self.owner, self.ttl):
                        self.lost.add(scope)
                except Exception as exc:  # the store away for a moment: next round
                    _log.warning("cannot renew lease %s: %s", scope, exc)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class Agent:
    """Runs passes over ``models`` (default: ``[tool.hyperflow.agent] models``, else the
    project's name) against one store.

    ``triggers``, ``rollout_cfg`` and ``config`` default to the project's
    ``[tool.hyperflow.retrain]``, ``[tool.hyperflow.rollout]`` and
    ``[tool.hyperflow.agent]``; ``monitor`` to ``[tool.hyperflow.monitor]``; ``inputs``
    (the retrain's train inputs) to ``[tool.hyperflow.retrain] inputs``.

    Example:
        >>> from hyperflow.retrain import Agent
        >>> agent = Agent(["weather"], store="sqlite://")  # doctest: +SKIP
        >>> agent.run_once()  # doctest: +SKIP
    """

    def __init__(
        self, models: list[str] | None = None, *, store: Any = None,
        config: AgentConfig | None = None, triggers: TriggerConfig | None = None,
        rollout_cfg: RolloutConfig | None = None, monitor: Any = None,
        owner: str | None = None, inputs: Mapping[str, Any] | None = None,
    ) -> None:
        self.config = config or agent_config()
        self.models = list(models or self.config.models)
        if not self.models:
            from hyperflow._errors import ConfigError

            raise ConfigError(
                "the agent has no model to look after: pass --model NAME, or set models in "
                "[tool.hyperflow.agent] or name in [tool.hyperflow]"
            )
        self.store = store
        self.triggers = triggers if triggers is not None else trigger_config()
        self.rollout_cfg = rollout_cfg or rollout_config()
        self.monitor = monitor
        self.inputs = dict(inputs) if inputs is not None else None
        self.owner = owner or f"agent:{socket.gethostname()}:{os.getpid()}:{random_id()[:8]}"
        self.leases = get_lease_store(store)
        if self.config.prune:
            _require_retention()
        self._beat: _Heartbeat | None = None
        self._pruned_at: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"Agent({self.models!r}, owner={self.owner!r})"

    def run_once(self) -> list[PassReport]:
        """One pass over every model; errors are reported per model, never raised."""
        if self._beat is None:
            self._beat = _Heartbeat(self.leases, self.owner, self.config.ttl)
        with acting_as(self.owner):
            return [self._pass(name) for name in self.models]

    def close(self) -> None:
        """Give back the leases (a rollout in flight stays, for the next agent to resume)."""
        if self._beat is not None:
            self._beat.stop()
            for scope in self._beat.scopes:
                self.leases.release(scope, self.owner)
            self._beat = None

    def forever(self, stop: threading.Event | None = None) -> None:
        """Pass every ``interval`` (sooner while a canary needs ticks) until ``stop``."""
        stop = stop or threading.Event()
        try:
            while not stop.is_set():
                self.run_once()
                stop.wait(self._sleep())
        finally:
            self.close()

    def _sleep(self) -> float:
        wait = self.config.interval
        for name in self.models:
            running = self.leases.unfinished(name, "rollout")
            if running:
                cfg = RolloutConfig.from_json(running[0].state["config"])
                wait = min(wait, cfg.interval / (2 * cfg.failure_limit))
        return max(wait, 0.05)

    def _pass(self, name: str) -> PassReport:
        scope = f"model:{name}"
        assert self._beat is not None
        lease = self.leases.acquire(scope, self.owner, self.config.ttl)
        if lease is None:
            held = self.leases.holder(scope)
            return PassReport(name, False, held.owner if held else None)
        self._beat.scopes.add(scope)
        self._beat.lost.discard(scope)
        report = PassReport(name, True)
        for step in (self._resume, self._check, self._trigger, self._tick, self._prune):
            if scope in self._beat.lost:
                report.errors.append("lost the lease mid-pass; stopped acting")
                break
            try:
                step(name, report)
            except Exception as exc:  # one failing step never stops the agent
                _log.exception("agent %s: %s of %s failed", self.owner, step.__name__, name)
                report.errors.append(f"{step.__name__.strip('_')}: {exc}")
        return report

    # -- the steps of a pass ---------------------------------------------------------
    def _resume(self, name: str, report: PassReport) -> None:
        for action in self.leases.unfinished(name):
            if action.owner == self.owner:
                continue
            if action.kind == "retrain":
                self._rerun(name, action, report)
            elif action.kind == "rollout":
                record_event(name, "agent", {"resumed": action.id, "kind": action.kind,
                                             "from": action.owner},
                             cause=action.state.get("last_event"), store=self.store)
                adopt_rollout(name, owner=self.owner, store=self.store)
                report.resumed.append(f"rollout {action.id} (from {action.owner})")
        policy = _seams.traffic(name, store=self.store)
        cause = str(getattr(policy, "cause", None) or "")
        if policy is not None and cause.startswith("rollout:") and not self.leases.unfinished(
            name, "rollout"
        ):
            _seams.clear_traffic(name, cause="agent: the rollout that split it is over",
                                 store=self.store)
            report.resumed.append("cleared a traffic split left by a finished rollout")

    def _rerun(self, name: str, action: Action, report: PassReport) -> None:
        self.leases.finish_action(action.id, ActionStatus.REVERTED,
                                  {**action.state, "reverted_by": self.owner})
        report.resumed.append(f"retrain {action.id} (from {action.owner}): run again")
        self._retrain(name, action.state.get("cause"), report)

    def _check(self, name: str, report: PassReport) -> None:
        if not self.config.monitor:
            return
        from hyperflow.monitor import monitor_config
        from hyperflow.monitor._service import Watcher

        cfg = self.monitor or monitor_config()
        if not cfg.every:
            return
        target = f"{name}@{self.rollout_cfg.champion}"
        watcher = Watcher(target, cfg.every, cfg.window, store=self.store, config=cfg)
        report.checks = len(watcher.run_once())
        report.errors += watcher.errors

    def _trigger(self, name: str, report: PassReport) -> None:
        if not self.triggers.any or self.leases.unfinished(name, "rollout"):
            return
        fired = due_triggers(name, self.triggers, champion=self.rollout_cfg.champion,
                             store=self.store)
        if not fired:
            return
        report.triggers = [t.reason for t in fired]
        self._retrain(name, fired[0].event_id, report)

    def _retrain(self, name: str, cause: int | None, report: PassReport) -> None:
        action = self.leases.start_action(name, "retrain", {"cause": cause}, owner=self.owner)
        try:
            decision = _seams.retrain(
                name, cause=cause, store=self.store, mode=self.triggers.mode,
                trials=self.triggers.trials, champion=self.rollout_cfg.champion,
                challenger_alias=CHALLENGER, inputs=self.inputs,
            )
        except BaseException as exc:
            self.leases.finish_action(action.id, ActionStatus.FAILED,
                                      {"cause": cause, "error": str(exc)})
            raise
        self.leases.finish_action(action.id, ActionStatus.DONE,
                                  {"cause": cause, "decision_id": decision.decision_id})
        report.decision = {
            "passed": decision.passed,
            "challenger": decision.challenger.version if decision.challenger else None,
            "rules": [f"{r.rule}: {'pass' if r.passed else 'fail'}" for r in decision.rules],
        }
        if decision.passed and decision.challenger is not None:
            state = rollout(name, canary=CHALLENGER, cause=decision.event_id,
                            store=self.store, owner=self.owner, config=self.rollout_cfg)
            report.rollout = _brief(state)

    def _tick(self, name: str, report: PassReport) -> None:
        state = rollout_tick(name, store=self.store, owner=self.owner)
        if state is not None:
            report.rollout = _brief(state)

    def _prune(self, name: str, report: PassReport) -> None:
        if not self.config.prune or time.time() - self._pruned_at.get(name, 0) < _PRUNE_EVERY:
            return
        from hyperflow import predictions

        report.pruned = predictions.prune(model=name, store=self.store,
                                          reason=f"retention, by {self.owner}")
        self._pruned_at[name] = time.time()


def _require_retention() -> None:
    """``prune = true`` without a retention period would do nothing: an error now."""
    from hyperflow._errors import ConfigError
    from hyperflow.store._log_policy import project_log_policy

    policy = project_log_policy()
    if policy is None or policy.max_age_s is None:
        raise ConfigError(
            "prune = true in [tool.hyperflow.agent] needs a retention period: set max_age "
            '(e.g. "30d") in [tool.hyperflow.predictions]'
        )


def _brief(state: Any) -> dict[str, Any]:
    return {"action": state.action_id, "status": state.status, "percent": state.percent,
            "challenger": "=".join(state.challenger), "reason": state.reason}

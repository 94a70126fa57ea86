"""Gradual rollouts: a canary (or shadow) of a challenger, advanced step by step on its
analysis, promoted at 100 % or rolled back.

A rollout is one ``hf_actions`` row (kind ``"rollout"``) whose JSON state says where it
is, so any process can advance it with :func:`rollout_tick` and a restarted agent
resumes it. Every write that changes routing is preceded by the state saying what is
about to happen (``phase``): a crash between the two is finished by the next tick
(``promoting`` finishes the promotion, ``reverting`` the rollback, ``running``
re-applies the current step's weights). Traffic is split only while a rollout action
is running.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from hyperflow._errors import RegistryError, RetrainError
from hyperflow.retrain import _seams
from hyperflow.retrain._canary import (
    Analysis,
    Verdict,
    analyse,
    arm_counts,
    arm_figures,
    error_check,
)
from hyperflow.retrain._config import RolloutConfig, rollout_config
from hyperflow.retrain._events import record_event
from hyperflow.store import Action, ActionStatus, actor, get_lease_store, get_store

__all__ = [
    "RolloutState",
    "abort_rollout",
    "adopt_rollout",
    "end_traffic_split",
    "rollout",
    "rollout_status",
    "rollout_tick",
]

KIND = "rollout"


@dataclass(frozen=True)
class RolloutState:
    """Where a rollout stands.

    Attributes:
        action_id: its ``hf_actions`` row; name: the model.
        mode: ``"canary"`` or ``"shadow"``; status: ``running``, ``done`` (promoted, or a
            shadow that passed), ``reverted`` (rolled back) or ``failed`` (stopped).
        percent: the challenger's share of traffic now (0 once finished).
        champion, challenger: ``(alias, version)`` of each side.
        failures: failed checks so far; reason: why it finished (or waits).
        analysis: the last analysis (figures and checks per arm), as JSON.
    """

    action_id: int
    name: str
    mode: str
    status: str
    percent: float
    champion: tuple[str, str]
    challenger: tuple[str, str]
    steps: tuple[int, ...]
    failures: int = 0
    reason: str | None = None
    analysis: dict[str, Any] = field(default_factory=dict)
    last_event: int | None = None

    @classmethod
    def of(cls, action: Action) -> RolloutState:
        s = action.state
        running = action.status is ActionStatus.RUNNING and s["mode"] == "canary"
        return cls(
            action.id, action.name, s["mode"], action.status.value,
            float(s["steps"][s["step"]]) if running else 0.0,
            (s["champion_alias"], s["champion_version"]),
            (s["challenger_alias"], s["challenger_version"]), tuple(s["steps"]),
            int(s["failures"]), s.get("reason"), dict(s.get("analysis") or {}),
            s.get("last_event"),
        )


def _event(name: str, kind: str, state: dict[str, Any], detail: dict[str, Any], store: Any) -> int:
    cause = state.get("last_event")
    eid = record_event(name, kind, {"action_id": state["action_id"], **detail}, cause=cause,
                       store=store)
    state["last_event"] = eid
    return eid


def _resolve(name: str, alias: str, store: Any) -> str:
    try:
        return get_store(store).registry_store().resolve_alias(name, alias)
    except RegistryError as exc:
        raise RetrainError(f"cannot roll out {name}@{alias}: {exc}") from None


def rollout(
    name: str, *, canary: str | None = None, shadow: str | None = None,
    steps: Any = None, interval: str | float | None = None, min_requests: int | None = None,
    failure_limit: int | None = None, max_wait: str | float | None = None,
    min_feedback: int | None = None, cause: int | None = None, store: Any = None,
    owner: str | None = None, config: RolloutConfig | None = None,
) -> RolloutState:
    """Start a gradual rollout of ``canary`` (an alias such as ``"candidate"``) or a
    ``shadow`` of it; unset options come from ``[tool.hyperflow.rollout]``.

    The canary gets ``steps[0]`` percent of the traffic now; :func:`rollout_tick`
    (``hyperflow rollout --watch`` or ``hyperflow agent``) analyses it each
    ``interval`` and advances, promotes or rolls back.

    Example:
        >>> import hyperflow as hf
        >>> hf.rollout("weather", canary="candidate", steps=[10, 50, 100])  # doctest: +SKIP
        RolloutState(... mode='canary', status='running', percent=10.0, ...)
    """
    if (canary is None) == (shadow is None):
        raise RetrainError("pass exactly one of canary=ALIAS or shadow=ALIAS")
    cfg = config or rollout_config(
        steps=list(steps) if steps is not None else None, interval=interval,
        min_requests=min_requests, failure_limit=failure_limit, max_wait=max_wait,
        min_feedback=min_feedback,
    )
    leases = get_lease_store(store)
    running = leases.unfinished(name, KIND)
    if running:
        raise RetrainError(
            f"a rollout of {name!r} is running (action {running[0].id}); wait for it or "
            f"stop it with `hyperflow rollout {name} --abort`"
        )
    alias = str(canary or shadow)
    champ_version = _resolve(name, cfg.champion, store)
    chall_version = _resolve(name, alias, store)
    if champ_version == chall_version:
        raise RetrainError(
            f"{name}@{alias} and {name}@{cfg.champion} are the same version "
            f"({chall_version}); nothing to roll out"
        )
    state: dict[str, Any] = {
        "mode": "canary" if canary else "shadow", "phase": "running", "step": 0,
        "steps": list(cfg.steps) if canary else [0], "config": cfg.to_json(),
        "champion_alias": cfg.champion, "champion_version": champ_version,
        "challenger_alias": alias, "challenger_version": chall_version, "failures": 0,
        "step_started_at": time.time(), "last_analysis_at": time.time(),
        "last_health_at": 0.0, "last_event": cause,
    }
    action = leases.start_action(name, KIND, state, owner=owner or actor())
    state["action_id"] = action.id
    _event(name, "rollout.start", state, {
        "mode": state["mode"], "champion": f"{cfg.champion}={champ_version}",
        "challenger": f"{alias}={chall_version}", "steps": state["steps"],
    }, store)
    leases.update_action(action.id, state)
    _apply(name, state, store)
    return RolloutState.of(leases.get_action(action.id))


def _apply(name: str, state: dict[str, Any], store: Any) -> None:
    """Route traffic as the state's current step says."""
    cause = f"rollout:{state['action_id']}"
    if state["mode"] == "shadow":
        _seams.set_traffic(name, {state["champion_alias"]: 100.0},
                           shadow=state["challenger_version"], cause=cause, store=store)
        return
    pct = float(state["steps"][state["step"]])
    weights = {state["champion_alias"]: 100.0 - pct, state["challenger_version"]: pct}
    _seams.set_traffic(name, {k: v for k, v in weights.items() if v > 0}, shadow=None,
                       cause=cause, store=store)


def _current(name: str, store: Any) -> Action | None:
    running = get_lease_store(store).unfinished(name, KIND)
    return running[0] if running else None


def rollout_status(name: str, *, store: Any = None) -> RolloutState | None:
    """The running rollout of ``name``, else its last one, else ``None``."""
    leases = get_lease_store(store)
    action = _current(name, store)
    if action is None:
        done = leases.actions(name, kind=KIND, limit=1)
        action = done[-1] if done else None
    return None if action is None else RolloutState.of(action)


def abort_rollout(
    name: str, *, reason: str = "aborted", store: Any = None
) -> RolloutState | None:
    """Stop ``name``'s running rollout now: traffic back to the champion, recorded why.

    Returns the finished rollout, or ``None`` when none was running.
    """
    action = _current(name, store)
    if action is None:
        return None
    state = {**action.state, "phase": "reverting", "reason": reason}
    get_lease_store(store).update_action(action.id, state)
    return _revert(name, action.id, state, store)


def end_traffic_split(name: str, *, reason: str, store: Any = None) -> bool:
    """Send all of ``name``'s traffic to its servers' own alias now: a running rollout is
    aborted (recorded why), a policy set by hand is cleared. ``False`` when none was split.
    """
    if abort_rollout(name, reason=reason, store=store) is not None:
        return True
    if _seams.traffic(name, store=store) is None:
        return False
    _seams.clear_traffic(name, cause=reason, store=store)
    return True


def _finish(action_id: int, status: ActionStatus, state: dict[str, Any], store: Any) -> Action:
    return get_lease_store(store).finish_action(action_id, status, state)


def _revert(name: str, action_id: int, state: dict[str, Any], store: Any) -> RolloutState:
    """Traffic back to the champion; the challenger's alias is removed with the reason."""
    _seams.clear_traffic(name, cause=f"rollout:{action_id} rolled back", store=store)
    from hyperflow import registry

    alias, version = state["challenger_alias"], state["challenger_version"]
    reason = f"rollout {action_id} rolled back: {state.get('reason')}"
    try:
        if _resolve(name, alias, store) == version:
            registry.remove_alias(name, alias, reason=reason, store=store)
    except Exception:  # the alias moved on or is gone: nothing of ours to remove
        pass
    _event(name, "rollback", state, {"reason": state.get("reason"), "version": version,
                                     "analysis": state.get("analysis")}, store)
    status = ActionStatus.FAILED if state.get("stopped") else ActionStatus.REVERTED
    return RolloutState.of(_finish(action_id, status, state, store))


def _promote(name: str, action_id: int, state: dict[str, Any], store: Any) -> RolloutState:
    """Move the champion alias to the challenger's version and clear the split."""
    from hyperflow import registry

    alias, version = state["champion_alias"], state["challenger_version"]
    if _resolve(name, alias, store) != version:
        registry.set_alias(name, alias, version, store=store,
                           reason=f"rollout {action_id}: canary passed every step")
    _seams.clear_traffic(name, cause=f"rollout:{action_id} promoted", store=store)
    _event(name, "promote", state, {"alias": alias, "version": version,
                                    "from": state["champion_version"]}, store)
    state["reason"] = "promoted"
    return RolloutState.of(_finish(action_id, ActionStatus.DONE, state, store))


def rollout_tick(
    name: str, *, now: float | None = None, store: Any = None, owner: str | None = None
) -> RolloutState | None:
    """Advance ``name``'s running rollout if an analysis is due; ``None`` when none runs.

    At every tick the challenger's error rate is checked (a crashing version is rolled
    back within one interval); each ``interval`` the full analysis runs: all checks
    hold -> next step (promotion at 100 %); too little data -> wait (past ``max_wait``:
    stop, traffic back to the champion); a failed check counts, and ``failure_limit``
    of them roll back.
    """
    action = _current(name, store)
    if action is None:
        return None
    state = {**action.state, "action_id": action.id}
    if owner is not None and action.owner != owner:
        adopt_rollout(name, owner=owner, store=store)
    if state["phase"] == "promoting":
        return _promote(name, action.id, state, store)
    if state["phase"] == "reverting":
        return _revert(name, action.id, state, store)
    return _judge(name, action.id, state, time.time() if now is None else now, store)


def adopt_rollout(name: str, *, owner: str, store: Any = None) -> RolloutState | None:
    """Make ``owner`` the driver of ``name``'s running rollout (its last driver died) and
    route traffic as the rollout's state says; ``None`` when none runs."""
    action = _current(name, store)
    if action is None:
        return None
    state = {**action.state, "action_id": action.id}
    get_lease_store(store).update_action(action.id, state, owner=owner)
    if state["phase"] == "running":
        _apply(name, state, store)
    return RolloutState.of(get_lease_store(store).get_action(action.id))


def _judge(
    name: str, action_id: int, state: dict[str, Any], now: float, store: Any
) -> RolloutState:
    cfg = RolloutConfig.from_json(state["config"])
    arm = "shadow" if state["mode"] == "shadow" else "canary"
    versions = {"primary": state["champion_version"], arm: state["challenger_version"]}
    since = state["step_started_at"]
    if now - state["last_analysis_at"] >= cfg.interval:
        state["last_analysis_at"] = now
        arms = arm_figures(name, versions, since=since, store=store)
        return _decide(name, action_id, state, analyse(arms, arm, cfg), now, store)
    arms = arm_counts(name, versions, since=since, store=store)  # between analyses: errors
    health = error_check(arms["primary"], arms[arm], cfg)
    spacing = cfg.interval / cfg.failure_limit
    if health.verdict is Verdict.FAIL and now - state["last_health_at"] >= spacing:
        state["last_health_at"] = now
        analysis = Analysis(Verdict.FAIL, (health,), arms)
        return _decide(name, action_id, state, analysis, now, store)
    return RolloutState.of(get_lease_store(store).get_action(action_id))


def _save(action_id: int, state: dict[str, Any], store: Any) -> RolloutState:
    return RolloutState.of(get_lease_store(store).update_action(action_id, state))


def _decide(
    name: str, action_id: int, state: dict[str, Any], analysis: Analysis, now: float,
    store: Any,
) -> RolloutState:
    cfg = RolloutConfig.from_json(state["config"])
    state["analysis"] = analysis.to_json()
    percent = state["steps"][state["step"]]
    if analysis.verdict is Verdict.FAIL:
        state["failures"] += 1
        failed = ", ".join(f"{c.name} {c.value} (limit {c.limit})" for c in analysis.failed())
        _event(name, "rollout.step", state, {"verdict": "fail", "percent": percent,
                                             "failures": state["failures"], "failed": failed},
               store)
        if state["failures"] >= cfg.failure_limit:
            state.update(phase="reverting", reason=f"{state['failures']} failed checks: {failed}")
            _save(action_id, state, store)
            return _revert(name, action_id, state, store)
        return _save(action_id, state, store)
    if analysis.verdict is Verdict.WAIT:
        waiting = [f"{c.name}: {c.note}" for c in analysis.checks if c.verdict is Verdict.WAIT]
        if now - state["step_started_at"] > cfg.max_wait:
            state.update(phase="reverting", stopped=True,
                         reason=f"not enough data after max_wait ({cfg.max_wait:g} s): "
                         + "; ".join(waiting))
            _save(action_id, state, store)
            return _revert(name, action_id, state, store)
        state["reason"] = "waiting: " + "; ".join(waiting)
        _event(name, "rollout.wait", state, {"percent": percent, "waiting": waiting}, store)
        return _save(action_id, state, store)
    return _advance(name, action_id, state, now, store)


def _advance(
    name: str, action_id: int, state: dict[str, Any], now: float, store: Any
) -> RolloutState:
    """All checks held: the next step, or the end (promotion; a shadow just passes)."""
    state["reason"] = None
    if state["mode"] == "shadow":
        _seams.clear_traffic(name, cause=f"rollout:{action_id} shadow passed", store=store)
        _event(name, "rollout.step", state, {"verdict": "pass", "shadow": "passed"}, store)
        state["reason"] = "shadow passed (promote with --canary)"
        return RolloutState.of(_finish(action_id, ActionStatus.DONE, state, store))
    _event(name, "rollout.step", state,
           {"verdict": "pass", "percent": state["steps"][state["step"]]}, store)
    nxt = state["step"] + 1
    if nxt >= len(state["steps"]) or state["steps"][nxt] >= 100:
        state["phase"] = "promoting"
        _save(action_id, state, store)
        return _promote(name, action_id, state, store)
    state.update(step=nxt, step_started_at=now, last_analysis_at=now, failures=0,
                 last_health_at=0.0)
    _save(action_id, state, store)
    _apply(name, state, store)
    return RolloutState.of(get_lease_store(store).get_action(action_id))

"""The steps of one retrain after its arguments are checked: train, judge, record, move.

Order keeps the store consistent when a step fails: nothing is written before the gate
has decided; then the challenger is registered (tagged with the verdict), the decision
and its events are stored, and only then does the ``candidate`` alias move.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hyperflow.core import Pipeline
from hyperflow.retrain._gate import RuleResult, passed
from hyperflow.retrain._retrain import (
    Decision,
    Progress,
    _context,
    _rules,
    _setup,
    _train,
    inputs_tag,
)
from hyperflow.retrain._retrain_run import INPUTS_TAG, Champion, Trained, champion_of
from hyperflow.store import MetadataStore, ModelVersion, actor, get_event_store, get_store

__all__ = ["decide"]


def _challenger_predictor(champion: Champion, trained: Trained) -> Any:
    from hyperflow.registry import Predictor

    artifacts = {a: trained.values[a] for a in champion.artifacts}
    return Predictor(champion.predictor.pipeline, artifacts, name=champion.version.name)


def _register(
    name: str, champion: Champion, trained: Trained, ok: bool, mode: str, store: MetadataStore
) -> ModelVersion:
    from hyperflow import registry

    tags = {
        INPUTS_TAG: inputs_tag(trained.inputs),
        "retrain.mode": mode,
        "retrain.of": champion.version.version,
        "gate": "passed" if ok else "rejected",
    }
    if not ok:
        tags["rejected"] = "true"
    # the champion's serialization choice carries over (a pickled champion's challenger too)
    chosen = (champion.version.lineage.get("serialization") or {}).get("allow_pickle")
    return registry.register(
        name,
        allow_pickle=bool(chosen) if chosen is not None else None,
        run_id=trained.run_id,
        predict=champion.version.predict_ref,
        artifacts=list(champion.artifacts),
        bump="minor",
        tags=tags,
        description=f"{mode} of {champion.version.ref} ({tags['gate']} by the gate)",
        reason=f"retrain --mode {mode}",
        store=store,
    )


def _record(
    name: str,
    champion: Champion,
    trained: Trained,
    rules: list[RuleResult],
    challenger: ModelVersion,
    cause: int | None,
    store: MetadataStore,
) -> tuple[int, int, int]:
    events = get_event_store(store)
    who = actor()
    ok = passed(rules)
    retrain_event = events.add_event(
        name,
        "retrain",
        {
            "mode": challenger.tags.get("retrain.mode"),
            "champion": champion.version.version,
            "challenger": challenger.version,
            "run_id": trained.run_id,
            "recomputed": len(trained.recomputed),
            "cached": len(trained.cached),
            "seconds": round(trained.seconds, 3),
            "study": trained.study,
        },
        cause_id=cause,
        actor=who,
    )
    gate_event = events.add_event(
        name,
        "gate",
        {
            "passed": ok,
            "challenger": challenger.version,
            "champion": champion.version.version,
            "failed": [r.rule for r in rules if not r.passed],
        },
        cause_id=retrain_event.id,
        actor=who,
    )
    runs = {"challenger": trained.run_id, "champion": champion.version.run_id}
    record = events.add_decision(
        name,
        challenger=challenger.version,
        champion=champion.version.version,
        passed=ok,
        rules=[r.to_dict() for r in rules],
        runs=runs,
        event_id=gate_event.id,
    )
    store.audit_store().append(
        "gate.decision",
        f"{name}:{challenger.version}",
        who=who,
        details={"passed": ok, "decision_id": record.id, "champion": champion.version.version},
        reason="passed" if ok else "rejected: " + ", ".join(r.rule for r in rules if not r.passed),
    )
    return retrain_event.id, gate_event.id, record.id


def _commit(
    name: str,
    champion: Champion,
    trained: Trained,
    rules: list[RuleResult],
    challenger_alias: str | None,
    cause: int | None,
    meta: MetadataStore,
) -> tuple[ModelVersion, int, int]:
    """Register the challenger, store the decision and events, then move ``candidate``."""
    from hyperflow import registry

    ok = passed(rules)
    mode = str(trained.tags.get("retrain.mode", "refit"))
    challenger = _register(name, champion, trained, ok, mode, meta)
    _, gate_event, decision_id = _record(name, champion, trained, rules, challenger, cause, meta)
    if ok and challenger_alias:
        reason = f"gate decision {decision_id} passed"
        registry.set_alias(name, challenger_alias, challenger.version, reason=reason, store=meta)
        challenger = registry.get(f"{name}:{challenger.version}", store=meta)
    return challenger, gate_event, decision_id


def decide(
    name: str,
    *,
    mode: Any,
    trials: int | None,
    inputs: Mapping[str, Any] | None,
    champion_alias: str,
    challenger_alias: str | None,
    dry_run: bool,
    cause: int | None,
    store: MetadataStore | str | None,
    train: Pipeline | str | None,
    say: Progress,
) -> Decision:
    """Run one retrain end to end (``hf.retrain`` checked the arguments)."""
    import time

    t0 = time.perf_counter()
    meta = get_store(store)
    setup = _setup(train)
    champion = champion_of(name, champion_alias, setup.project_inputs, meta)
    run = (champion.version.run_id or "-")[:12]
    say(f"champion {champion.version.ref} ({name}@{champion_alias}), run {run}")
    current = {**champion.inputs, **setup.retrain_inputs, **dict(inputs or {})}
    trained = _train(setup, champion, mode, trials, current, meta, say)
    predictor = _challenger_predictor(champion, trained)
    rules = _rules(_context(setup, champion, trained, predictor, meta, say), name, meta)
    ok = passed(rules)
    runs = {"challenger": trained.run_id, "champion": champion.version.run_id}
    common: dict[str, Any] = {
        "runs": runs,
        "recomputed": trained.recomputed,
        "cached": trained.cached,
        "mode": mode,
        "train_seconds": trained.seconds,
    }
    if dry_run:
        say(f"gate {'passed' if ok else 'FAILED'} (dry run: nothing registered or moved)")
        seconds = time.perf_counter() - t0
        return Decision(ok, rules, None, champion.version, None, None, dry_run=True,
                        seconds=seconds, **common)  # fmt: skip
    challenger, event_id, decision_id = _commit(
        name, champion, trained, rules, challenger_alias, cause, meta
    )
    say(
        f"gate passed: {name}@{challenger_alias} -> {challenger.version}"
        if ok
        else f"gate FAILED: {challenger.ref} registered, tagged rejected; no alias moved"
    )
    seconds = time.perf_counter() - t0
    return Decision(ok, rules, challenger, champion.version, decision_id, event_id,
                    seconds=seconds, **common)  # fmt: skip

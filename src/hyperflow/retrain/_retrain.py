"""``hf.retrain``: train a challenger, judge it against the champion, record the decision.

One call: find the champion (``NAME@production``), train a challenger on current data
(``refit``: the champion's config; ``search``: a warm-started search), score both on
the challenger's fresh holdout with the same metrics code, apply the gate's rules,
register the challenger (tagged ``rejected`` when it fails), point ``candidate`` at it
when it passes, and record the decision, the events and an audit entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hyperflow._errors import RetrainError
from hyperflow.core import Pipeline
from hyperflow.retrain._gate import GateContext, RuleResult
from hyperflow.retrain._gate_config import GateConfig, gate_config
from hyperflow.retrain._retrain_run import Champion, Trained
from hyperflow.store import GateDecisionRecord, MetadataStore, ModelVersion

__all__ = ["Decision", "gate_decisions", "retrain"]

Mode = Literal["refit", "search"]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Decision:
    """The gate's decision on one challenger.

    Attributes:
        passed: every rule held (skipped rules do not fail).
        rules: each rule with its figures.
        challenger, champion: the versions compared (``challenger`` is ``None`` on a dry run).
        decision_id, event_id: the stored decision and its ``gate`` event (``None`` on a dry run).
        runs: the run ids compared (``challenger``, ``champion``).
        recomputed, cached: the train pipeline's nodes that ran and that were cache hits.
        mode: ``refit`` or ``search``; dry_run: nothing was registered or moved.
        seconds, train_seconds: the whole retrain, and its training run alone.
    """

    passed: bool
    rules: list[RuleResult]
    challenger: ModelVersion | None
    champion: ModelVersion | None
    decision_id: int | None
    event_id: int | None
    runs: dict[str, str | None] = field(default_factory=dict)
    recomputed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    mode: str = "refit"
    dry_run: bool = False
    seconds: float = 0.0
    train_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary (what ``hyperflow retrain --json`` prints)."""
        return {
            "passed": self.passed,
            "rules": [r.to_dict() for r in self.rules],
            "challenger": self.challenger.version if self.challenger else None,
            "champion": self.champion.version if self.champion else None,
            "decision_id": self.decision_id,
            "event_id": self.event_id,
            "runs": self.runs,
            "recomputed": self.recomputed,
            "cached": self.cached,
            "mode": self.mode,
            "dry_run": self.dry_run,
            "seconds": self.seconds,
            "train_seconds": self.train_seconds,
        }


@dataclass
class _Setup:
    train: Pipeline
    objective: Any
    metrics: str
    gate: GateConfig
    project_inputs: dict[str, Any]
    retrain_inputs: dict[str, Any]


def _setup(train: Pipeline | str | None) -> _Setup:
    from hyperflow._refs import import_ref
    from hyperflow.optimize import Objective
    from hyperflow.store import project_config

    cfg = project_config()
    gate, retrain_cfg = gate_config(cfg)
    ref = train if train is not None else cfg.get("train")
    if ref is None:
        raise RetrainError(
            'no train pipeline: add `train = "module:attr"` under [tool.hyperflow] or pass train='
        )
    pipeline = import_ref(ref) if isinstance(ref, str) else ref
    if not isinstance(pipeline, Pipeline):
        raise RetrainError(f"{ref!r} is a {type(pipeline).__name__}, not an hf.Pipeline")
    if not cfg.get("objective"):
        raise RetrainError(
            'the gate compares objectives: add `objective = "<metric expression>"` (and '
            "`direction`) under [tool.hyperflow]"
        )
    objective = Objective(
        str(cfg["objective"]),
        maximize=cfg.get("direction", "maximize") != "minimize",
        constraints=list(cfg.get("constraints", [])),
    )
    return _Setup(
        pipeline,
        objective,
        str(cfg.get("metrics") or "metrics"),
        gate,
        dict(cfg.get("inputs") or {}),
        retrain_cfg.inputs,
    )


def _extra_outputs(setup: _Setup) -> list[str]:
    """The train outputs the gate reads besides metrics and artifacts (holdout, data)."""
    return list(dict.fromkeys(p.split(".")[0] for p in (setup.gate.holdout, setup.gate.data) if p))


def _dotted(values: Mapping[str, Any], path: str) -> Any:
    head, *rest = path.split(".")
    value = values[head]
    for attr in rest:
        value = value[attr] if isinstance(value, Mapping) else getattr(value, attr)
    return value


def _train(
    setup: _Setup,
    champion: Champion,
    mode: Mode,
    trials: int | None,
    inputs: Mapping[str, Any],
    store: MetadataStore,
    say: Progress,
) -> Trained:
    from hyperflow.retrain._retrain_run import RETRAIN_STUDY_TAG, search, train_at

    config, study = champion.config, None
    artifacts = list(champion.artifacts)
    if mode == "search":
        n = trials if trials is not None else 20
        say(f"searching {n} trials, warm-started from {champion.version.ref}'s config")
        config, study = search(
            setup.train, champion, setup.objective, inputs, n, store, setup.metrics
        )
    say(f"training {setup.train.name} at the {'champion' if mode == 'refit' else 'best'} config")
    tags = {"retrain.of": champion.version.ref, "retrain.mode": mode}
    if study or champion.study:  # the next search starts from this study's best
        tags[RETRAIN_STUDY_TAG] = str(study or champion.study)
    outputs = list(dict.fromkeys([setup.metrics, *artifacts]))
    trained = train_at(
        setup.train, config, inputs, outputs, store, tags, extra=_extra_outputs(setup)
    )
    trained.study = study
    say(
        f"run {trained.run_id[:12]}: {len(trained.recomputed)} node(s) recomputed, "
        f"{len(trained.cached)} cached ({trained.seconds:.2f} s)"
    )
    return trained


def _context(
    setup: _Setup,
    champion: Champion,
    trained: Trained,
    predictor: Any,
    store: MetadataStore,
    say: Progress,
) -> GateContext:
    from hyperflow import registry
    from hyperflow.retrain._retrain_run import rescore

    say(f"re-scoring {champion.version.ref} on the challenger's holdout")
    gate = setup.gate
    old_inputs = {**trained.inputs}
    champ = rescore(setup.train, champion.artifacts, champion.config, old_inputs, [setup.metrics])
    model_name = next(iter(champion.artifacts))
    bound = [r["suite_ref"] for r in registry.suite_results(champion.version.ref, store=store)]
    data = None
    if gate.data:
        before = setup.train.run(
            inputs=champion.inputs,
            config=champion.config,
            outputs=[gate.data.split(".")[0]],
            track=False,
        )
        data = (_dotted(before, gate.data), _dotted(trained.values, gate.data))
    return GateContext(
        config=gate,
        objective=setup.objective,
        challenger_metrics=dict(trained.values[setup.metrics]),
        champion_metrics=dict(champ[setup.metrics]),
        challenger_model=trained.values.get(model_name),
        champion_model=champion.artifacts.get(model_name),
        holdout=_dotted(trained.values, gate.holdout) if gate.holdout else None,
        suites=list(dict.fromkeys([*bound, *gate.suites])),
        challenger_predictor=predictor,
        champion_predictor=champion.predictor,
        data=data,
    )


def _rules(ctx: GateContext, name: str, store: MetadataStore) -> list[RuleResult]:
    from hyperflow.retrain._gate import metric_rules, schema_rule, suite_rule
    from hyperflow.retrain._gate_rows import fairness_rules, live_rule, slice_rules

    rules = [*metric_rules(ctx), suite_rule(ctx), schema_rule(ctx)]
    rules += slice_rules(ctx) + fairness_rules(ctx)
    live = live_rule(ctx, name, store)
    return rules if live is None else [*rules, live]


def retrain(
    name: str,
    *,
    mode: Mode = "refit",
    trials: int | None = None,
    inputs: Mapping[str, Any] | None = None,
    champion: str = "production",
    challenger_alias: str | None = "candidate",
    dry_run: bool = False,
    cause: int | None = None,
    store: MetadataStore | str | None = None,
    train: Pipeline | str | None = None,
    progress: Progress | None = None,
) -> Decision:
    """Retrain model ``name`` and decide, through the gate, whether the challenger is better.

    Args:
        name: the registered model.
        mode: ``"refit"`` (the champion's config on current data; unchanged nodes are
            cache hits) or ``"search"`` (``trials`` trials warm-started with the
            champion's config and its study's best configs).
        trials: trials of a search (default 20).
        inputs: train inputs overriding ``[tool.hyperflow.retrain] inputs``, which override
            the champion's recorded inputs.
        champion: the alias of the version to beat.
        challenger_alias: the alias a passing challenger gets (``None``: none; never the
            champion's, which a rollout moves).
        dry_run: train and judge only: nothing is registered, stored or moved.
        cause: the event that caused this retrain (e.g. an alert's).
        store, train: the metadata store and train pipeline (default: the project's).
        progress: called with one line per step (the CLI prints them).

    Returns:
        The :class:`Decision`.
    """
    from hyperflow.retrain._decide import decide

    if mode not in ("refit", "search"):
        raise RetrainError(f"mode must be 'refit' or 'search', but got {mode!r}")
    if trials is not None and (mode != "search" or trials < 1):
        raise RetrainError(f"trials= needs mode='search' and a count >= 1, but got {trials!r}")
    if challenger_alias == champion:
        raise RetrainError(
            f"challenger_alias {challenger_alias!r} is the champion's alias: a passing gate "
            "never moves it (a rollout does); pick another, e.g. 'candidate'"
        )
    return decide(
        name,
        mode=mode,
        trials=trials,
        inputs=inputs,
        champion_alias=champion,
        challenger_alias=challenger_alias,
        dry_run=dry_run,
        cause=cause,
        store=store,
        train=train,
        say=progress or (lambda _line: None),
    )


def gate_decisions(
    name: str, *, store: MetadataStore | str | None = None
) -> list[GateDecisionRecord]:
    """The stored gate decisions of ``name``, oldest first (``rules`` with their figures).

    Example:
        >>> gate_decisions("never-retrained", store="sqlite://")
        []
    """
    from hyperflow.store import get_event_store

    return get_event_store(store).decisions(name)


def inputs_tag(values: Mapping[str, Any]) -> str:
    """The JSON kept in a version's ``retrain.inputs`` tag (non-JSON values as text)."""
    return json.dumps(dict(values), default=str, sort_keys=True)

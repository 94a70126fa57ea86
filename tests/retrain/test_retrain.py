"""hf.retrain: refit from cache, the gate's rules with their figures, what a decision moves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import hyperflow as hf
from hyperflow import RetrainError
from hyperflow.testing import load_suite
from tests.retrain.conftest import Project
from tests.retrain.project import split, write_rows

NODES = {"rows", "split", "features", "model", "metrics"}


def _rule(decision: hf.retrain.Decision, name: str) -> hf.retrain.RuleResult:
    return next(r for r in decision.rules if r.rule == name)


def test_refit_on_unchanged_data_recomputes_nothing(project: Project) -> None:
    champion = project()
    decision = hf.retrain("points", mode="refit")
    assert decision.recomputed == [] and set(decision.cached) == NODES
    assert decision.passed and decision.champion is not None
    assert decision.champion.version == champion.version
    improvement = _rule(decision, "improvement")
    assert improvement.figures["improvement"] == 0.0
    assert improvement.figures["challenger"] == improvement.figures["champion"]


def test_refit_on_new_data_recomputes_only_the_affected_nodes(
    project: Project, tmp_path: Path
) -> None:
    project()
    write_rows(tmp_path / "new.csv", seed=7)
    decision = hf.retrain("points", inputs={"path": "new.csv"})
    assert set(decision.recomputed) == {"rows", "split", "model", "metrics"}
    assert decision.cached == ["features"]
    # the champion's fitted model was re-scored on the challenger's holdout (the new rows)
    import pandas as pd

    holdout = split(pd.read_csv(tmp_path / "new.csv")).test
    fitted = hf.registry.load("points@production").artifacts["model"]
    expected = float((fitted.predict(holdout) == holdout["label"]).mean())
    assert _rule(decision, "improvement").figures["champion"] == pytest.approx(expected)


def test_a_passing_gate_moves_candidate_never_production(
    project: Project, postgres_url: str
) -> None:
    champion = project(store=postgres_url)  # the whole path on PostgreSQL too
    decision = hf.retrain("points")
    assert decision.passed and decision.challenger is not None
    assert "candidate" in decision.challenger.aliases
    assert hf.registry.get("points@production").version == champion.version
    assert decision.challenger.tags["gate"] == "passed"


def test_a_failing_gate_registers_the_challenger_rejected_and_moves_no_alias(
    project: Project,
) -> None:
    champion = project("\n[tool.hyperflow.gate]\nmin_improvement = 0.5\n")
    decision = hf.retrain("points")
    assert not decision.passed
    rule = _rule(decision, "improvement")
    assert not rule.passed and rule.figures["min_improvement"] == 0.5
    assert "+0 < 0.5" in rule.message
    assert decision.challenger is not None and decision.challenger.tags["rejected"] == "true"
    assert "candidate" not in decision.challenger.aliases
    assert hf.registry.get("points@production").version == champion.version
    with pytest.raises(hf.RegistryError):
        hf.registry.get("points@candidate")
    stored = hf.retrain.gate_decisions("points")
    assert [d.passed for d in stored] == [False] and stored[0].id == decision.decision_id
    assert stored[0].runs["challenger"] == decision.runs["challenger"]
    assert {r["rule"] for r in stored[0].rules} >= {"improvement", "constraints", "suites"}
    audit = hf.registry.audit_log(action="gate.decision")
    assert audit[-1].target == f"points:{decision.challenger.version}"
    assert audit[-1].details["passed"] is False


def test_relative_improvement_and_constraints_carry_their_figures(project: Project) -> None:
    project(
        "\n[tool.hyperflow.gate]\nmin_improvement = -0.01\nrelative = true\n"
        'constraints = ["accuracy >= 0.99"]\n'
    )
    decision = hf.retrain("points")
    assert _rule(decision, "improvement").figures["relative"] is True
    constraints = _rule(decision, "constraints")
    assert constraints.figures["accuracy >= 0.99"]["holds"] is True


def test_a_bound_suite_that_fails_fails_the_gate(project: Project, tmp_path: Path) -> None:
    champion = project()
    result = load_suite("tests.retrain.project:suite").run(hf.registry.load(champion.ref))
    assert result.passed
    hf.registry.record_suite_result(champion.ref, result)
    write_rows(tmp_path / "inverted.csv", flip=1.0)  # every label inverted
    decision = hf.retrain("points", inputs={"path": "inverted.csv"}, dry_run=True)
    suites = _rule(decision, "suites")
    assert not suites.passed and suites.figures["tests.retrain.project:suite"]["pass_rate"] == 0.0
    assert not decision.passed


def test_the_schema_of_the_training_data_is_checked(project: Project, tmp_path: Path) -> None:
    project('\n[tool.hyperflow.gate]\ndata = "rows"\n')
    import pandas as pd

    frame = pd.read_csv(tmp_path / "rows.csv")
    frame["x1"] = frame["x1"] * 1000
    frame.to_csv(tmp_path / "wild.csv", index=False)
    decision = hf.retrain("points", inputs={"path": "wild.csv"}, dry_run=True)
    schema = _rule(decision, "schema")
    assert not schema.passed and schema.figures["columns"] == ["x1"]
    assert schema.figures["violations"] > 0
    same = hf.retrain("points", dry_run=True)
    assert _rule(same, "schema").passed and not _rule(same, "schema").skipped


def test_slices_and_fairness_rules(project: Project, tmp_path: Path) -> None:
    project(
        '\n[tool.hyperflow.gate]\nholdout = "split.test"\ntarget = "label"\n'
        'slices = [{column = "group", max_drop = 0.0}]\n'
        'fairness = {sensitive = ["group"], metric = "accuracy", max_difference = 0.5, '
        "min_group_size = 5}\n"
    )
    write_rows(tmp_path / "noisy.csv", seed=3, flip=0.3)
    decision = hf.retrain("points", inputs={"path": "noisy.csv"}, dry_run=True)
    slices = _rule(decision, "slice:group")
    assert set(slices.figures["groups"]) == {"group=a", "group=b"}
    drops = [g["drop"] for g in slices.figures["groups"].values()]
    assert slices.passed == (max(drops) <= 0.0)
    fairness = _rule(decision, "fairness:group")
    assert 0.0 <= fairness.figures["difference"] <= 1.0
    assert fairness.passed == (fairness.figures["difference"] <= 0.5)


def test_dry_run_registers_and_moves_nothing(project: Project) -> None:
    project("\n[tool.hyperflow.gate]\nmin_improvement = 0.5\n")
    decision = hf.retrain("points", dry_run=True)
    assert not decision.passed and decision.dry_run and decision.challenger is None
    assert [v.version for v in hf.registry.versions("points")] == ["0.1.0"]
    assert hf.retrain.gate_decisions("points") == [] and hf.events("points") == []


def test_the_events_read_as_a_chain(project: Project) -> None:
    project()
    alert = hf.retrain.record_event("points", "alert", {"rule": "accuracy-drop"})
    decision = hf.retrain("points", cause=alert)
    chain = hf.events("points")
    assert [e.kind for e in chain] == ["alert", "retrain", "gate"]
    assert chain[1].cause_id == alert and chain[2].cause_id == chain[1].id
    assert chain[2].id == decision.event_id and chain[2].detail["passed"] is True
    assert chain[1].detail["recomputed"] == 0 and chain[1].detail["cached"] == len(NODES)


def test_search_is_warm_started_from_the_champion(project: Project) -> None:
    from hyperflow.store import get_store

    champion = project()
    decision = hf.retrain("points", mode="search", trials=2)
    assert decision.challenger is not None
    assert decision.challenger.tags["retrain.mode"] == "search"
    retrain_event = hf.events("points")[0]
    assert retrain_event.detail["study"].startswith("retrain-points-")
    store = get_store()
    study = retrain_event.detail["study"]
    runs = store.search_runs(pipeline="points-train", order_by="start_time")
    trials = [r for r in runs if r.tags.get("hyperflow.study") == study]
    assert len(trials) == 2  # the first trial is the champion's config, enqueued
    assert trials[0].config == store.get_run(champion.run_id or "").config  # type: ignore[union-attr]
    # the challenger's run names the study, so the next search starts from its best
    assert store.get_run(decision.runs["challenger"] or "").tags["retrain.study"] == study  # type: ignore[union-attr]


def test_current_data_comes_from_the_retrain_table(project: Project, tmp_path: Path) -> None:
    project('\n[tool.hyperflow.retrain]\ninputs = { path = "new.csv" }\n')
    write_rows(tmp_path / "new.csv", seed=9)
    decision = hf.retrain("points")
    assert decision.cached == ["features"] and len(decision.recomputed) == 4
    assert decision.challenger is not None
    assert json.loads(decision.challenger.tags[hf.retrain.INPUTS_TAG]) == {"path": "new.csv"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "refti"}, "mode must be 'refit' or 'search'"),
        ({"trials": 3}, "trials= needs mode='search'"),
        ({"challenger_alias": "production"}, "is the champion's alias"),
        ({"champion": "staging"}, r"no champion at points@staging"),
    ],
)
def test_bad_arguments_are_clear_errors(
    project: Project, kwargs: dict[str, object], message: str
) -> None:
    project()
    with pytest.raises(RetrainError, match=message):
        hf.retrain("points", **kwargs)  # type: ignore[arg-type]


def test_unknown_gate_keys_are_errors_with_a_suggestion(project: Project) -> None:
    project("\n[tool.hyperflow.gate]\nmin_improvment = 0.1\n")
    with pytest.raises(RetrainError, match="did you mean 'min_improvement'"):
        hf.retrain("points")


def test_unknown_event_kinds_are_errors() -> None:
    with pytest.raises(RetrainError, match="did you mean 'rollback'"):
        hf.retrain.record_event("m", "rolback", {}, store="sqlite://")


def _serve_log(url: str, rows: list[dict[str, float]], labels: list[int]) -> None:
    """Predictions of the champion with their ground truth, as a server would log them."""
    import json
    from datetime import UTC, datetime

    from hyperflow.store import FeedbackRecord, PredictionRecord, get_prediction_log

    log = get_prediction_log(url)
    now = datetime.now(UTC).replace(tzinfo=None)
    log.write(
        [
            PredictionRecord(f"r{i}", "points", "0.1.0", now, 1.0, json.dumps(row), "0")
            for i, row in enumerate(rows)
        ]
    )
    log.write_feedback([FeedbackRecord(f"r{i}", json.dumps(y), now) for i, y in enumerate(labels)])
    log.close()


def test_both_are_scored_on_the_last_labelled_live_window(project: Project, tmp_path: Path) -> None:
    import pandas as pd

    project('\n[tool.hyperflow.gate]\nlive_window = "7d"\n')
    skipped = _rule(hf.retrain("points", dry_run=True), "live")
    assert skipped.skipped and "no labelled live traffic in the last 7d" in skipped.message
    live = pd.read_csv(write_rows(tmp_path / "live.csv", n=80, seed=11, flip=0.2))
    rows = live[["x1", "x2"]].to_dict("records")
    _serve_log(f"sqlite:///{tmp_path}/.hyperflow/hyperflow.db", rows, list(live["label"]))
    rule = _rule(hf.retrain("points", dry_run=True), "live")
    champion = hf.registry.load("points@production")
    expected = float((champion.artifacts["model"].predict(live) == live["label"]).mean())
    assert not rule.skipped and rule.figures["rows"] == 80 and rule.figures["metric"] == "accuracy"
    assert rule.figures["champion"] == pytest.approx(expected)
    assert rule.passed == (rule.figures["challenger"] >= rule.figures["champion"])

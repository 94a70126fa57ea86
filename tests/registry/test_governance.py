"""Governance records of versions: documentation, fairness results, the audit log (issue 22)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import hyperflow as hf
from hyperflow import registry
from tests.registry import models


@pytest.fixture
def demo(store_url: str) -> str:
    run = models.train.run(outputs=["model", "metrics"], track=store_url)
    registry.register(
        "demo",
        run_id=run.run_id,
        predict=models.predict,
        store=store_url,
        intended_use="ranking demo rows",
        reason="first cut",
    )
    return run.run_id


def test_documentation_is_stored_at_registration_and_by_describe(store_url: str, demo: str) -> None:
    assert registry.documentation("demo:0.1.0", store=store_url) == {
        "intended_use": "ranking demo rows"
    }
    docs = registry.describe("demo@latest", limitations="toy data only", store=store_url)
    assert docs == {"intended_use": "ranking demo rows", "limitations": "toy data only"}
    registry.describe("demo:0.1.0", intended_use="", store=store_url)  # "" clears a field
    assert registry.documentation("demo:0.1.0", store=store_url) == {"limitations": "toy data only"}
    with pytest.raises(hf.RegistryError, match="nothing to write"):
        registry.describe("demo:0.1.0", store=store_url)
    with pytest.raises(hf.RegistryError, match=r"no model 'demp'.*did you mean 'demo'"):
        registry.describe("demp:0.1.0", limitations="x", store=store_url)


def test_every_write_action_is_in_the_audit_log(
    store_url: str, demo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = models.train.run(
        outputs=["model", "metrics"], track=store_url, config={"model.scale": 2.0}
    )
    monkeypatch.setenv("HYPERFLOW_USER", "ci-bot")
    registry.register("demo", run_id=run.run_id, predict=models.predict, store=store_url)
    with registry.acting_as("token:release"):
        registry.set_alias("demo", "production", "0.1.0", reason="launch", store=store_url)
        registry.set_alias("demo", "production", "0.2.0", store=store_url)
    registry.rollback("demo", "production", store=store_url)
    registry.remove_alias("demo", "production", store=store_url)
    registry.archive("demo", "0.2.0", reason="superseded", store=store_url)
    registry.delete("demo", "0.2.0", store=store_url)
    events = registry.audit_log(store=store_url)
    assert [(e.action, e.target) for e in events] == [
        ("model.register", "demo:0.1.0"),
        ("model.register", "demo:0.2.0"),
        ("alias.set", "demo@production"),
        ("alias.set", "demo@production"),
        ("alias.rollback", "demo@production"),
        ("alias.remove", "demo@production"),
        ("version.archive", "demo:0.2.0"),
        ("version.delete", "demo:0.2.0"),
    ]
    assert events[0].reason == "first cut" and events[0].details["run_id"] == demo
    assert events[1].who == "ci-bot" and events[2].who == "token:release"
    assert events[2].reason == "launch" and events[3].details == {"from": "0.1.0", "to": "0.2.0"}
    assert events[6].reason == "superseded"
    assert [e.action for e in registry.audit_log(action="alias.", store=store_url)] == [
        "alias.set",
        "alias.set",
        "alias.rollback",
        "alias.remove",
    ]


def test_a_refused_action_leaves_no_event(store_url: str, demo: str) -> None:
    registry.set_alias("demo", "production", "0.1.0", store=store_url)
    with pytest.raises(hf.RegistryError):
        registry.delete("demo", "0.1.0", store=store_url)
    assert "version.delete" not in [e.action for e in registry.audit_log(store=store_url)]


def test_a_fairness_result_is_recorded_with_the_version(store_url: str, demo: str) -> None:
    predictor = registry.load("demo:0.1.0", store=store_url)
    rows = pd.DataFrame({"x": [float(i % 10) for i in range(80)], "group": ["a", "b"] * 40})
    rows["target"] = (rows["x"] > 4).astype(int)

    def above(row: dict[str, object]) -> int:
        return int(predictor(row) > 9.0)

    result = hf.testing.fairness(
        above, rows, sensitive=["group"], metrics=["accuracy"], call="row", n_boot=20
    )
    registry.record_fairness("demo:0.1.0", result, store=store_url)
    stored = registry.fairness_results("demo@latest", store=store_url)
    assert len(stored) == 1
    again = hf.testing.FairnessResult.from_json(json.dumps(stored[0]["result"]))
    assert again == result
    assert again.passes(max_difference=0.5) == result.passes(max_difference=0.5)
    assert registry.audit_log(action="version.fairness", store=store_url)[0].target == "demo:0.1.0"
    with pytest.raises(hf.RegistryError, match=r"takes an hf\.testing\.fairness"):
        registry.record_fairness("demo:0.1.0", {"max_difference": 0.1}, store=store_url)

"""A suite stored by reference with a model version, its last result recorded (point 5)."""

from __future__ import annotations

import pytest

import hyperflow as hf
from hyperflow import registry
from tests.registry import models


def test_suite_result_is_recorded_with_the_version(store_url: str) -> None:
    run = models.train.run(outputs=["model", "metrics"], track=store_url)
    registry.register("demo", run_id=run.run_id, predict=models.predict, store=store_url)
    suite = hf.testing.load_suite("tests.testing.suites:registry_suite")
    predictor = registry.load("demo:0.1.0", store=store_url)
    result = suite.run(predictor, call="row")
    assert result.passed and result.suite_ref == "tests.testing.suites:registry_suite"
    registry.record_suite_result("demo:0.1.0", result, store=store_url)
    stored = registry.suite_results("demo:0.1.0", store=store_url)
    assert stored[0]["suite_ref"] == "tests.testing.suites:registry_suite"
    assert stored[0]["passed"] is True and stored[0]["pass_rate"] == 1.0
    # the reference re-runs the same suite later, e.g. in a promotion gate
    again = hf.testing.load_suite(stored[0]["suite_ref"]).run(predictor, call="row")
    assert again.to_json() == result.to_json()


def test_a_suite_without_reference_cannot_be_recorded(store_url: str) -> None:
    run = models.train.run(outputs=["model", "metrics"], track=store_url)
    registry.register("demo", run_id=run.run_id, predict=models.predict, store=store_url)
    local = hf.testing.Suite(
        "local", [hf.testing.mft(cases=[({"x": 1.0, "group": "a"}, lambda y: y > 0)])]
    )
    result = local.run(registry.load("demo:0.1.0", store=store_url), call="row")
    with pytest.raises(hf.RegistryError, match="no suite_ref"):
        registry.record_suite_result("demo:0.1.0", result, store=store_url)

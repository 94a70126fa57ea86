"""Reporting: concrete failing examples, per-test pass rates, one-line summary, JSON, pytest."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

import hyperflow as hf
from hyperflow.testing import perturb

ROWS = pd.DataFrame({"temp": [-5.0, 0.0, 5.0, 10.0, 20.0], "wind": [1.0, 2.0, 3.0, 4.0, 5.0]})


def thermometer(df: pd.DataFrame) -> list[dict[str, Any]]:
    """'cold' below 3 degrees; its 'chill' score wrongly falls with wind."""
    return [
        {"label": "cold" if t < 3 else "mild", "chill": 10.0 - t - w}
        for t, w in zip(df["temp"], df["wind"], strict=True)
    ]


def suite() -> hf.testing.Suite:
    return hf.testing.Suite(
        "thermo",
        [
            hf.testing.mft([({"temp": -10.0, "wind": 1.0}, "cold")], on="label", name="freezing"),
            hf.testing.invariance(ROWS, perturb.add("temp", 3.5), on="label", name="small warming"),
            hf.testing.directional(
                ROWS, perturb.add("wind", 5.0), on="chill", expect="increase", name="wind chills"
            ),
        ],
    )


def test_failures_carry_inputs_and_outputs_before_and_after() -> None:
    result = suite().run(thermometer)
    assert not result.passed
    assert result.pass_rates == {"freezing": 1.0, "small warming": 0.8, "wind chills": 0.0}
    assert result.pass_rate == pytest.approx(1 - 6 / 11)
    inv = result["small warming"]
    (flip,) = inv.failures
    assert flip.input == {"temp": 0.0, "wind": 2.0}
    assert flip.perturbed_input == {"temp": 3.5, "wind": 2.0}
    assert (flip.index, flip.output, flip.perturbed_output) == (1, "cold", "mild")
    wind = result["wind chills"]
    assert len(wind.failures) == 5
    f = wind.failures[0]
    assert f.output == pytest.approx(14.0) and f.perturbed_output == pytest.approx(9.0)
    assert "decreased by 5" in f.reason
    assert result.failures == inv.failures + wind.failures


def test_one_line_summary_names_failing_tests_and_rates() -> None:
    line = suite().run(thermometer).summary()
    assert "\n" not in line
    assert line.startswith("suite 'thermo' FAILED: 1 of 3 tests passed")
    assert "invariance 'small warming': 80.0% < 100.0% (1 of 5 failed)" in line
    assert "directional 'wind chills': 0.0% < 100.0% (5 of 5 failed)" in line
    assert "freezing" not in line


def test_report_lists_examples() -> None:
    report = suite().run(thermometer).report(max_failures=2)
    assert "{'temp': 0.0, 'wind': 2.0} -> 'cold', perturbed {'temp': 3.5, 'wind': 2.0}" in report
    assert "... and 3 more" in report


def test_json_round_trip() -> None:
    result = suite().run(thermometer, seed=5)
    text = result.to_json()
    data = json.loads(text)
    assert data["passed"] is False and data["seed"] == 5
    assert data["tests"][1]["failures"][0]["perturbed_input"] == {"temp": 3.5, "wind": 2.0}
    assert hf.testing.SuiteResult.from_json(text) == result
    with pytest.raises(hf.TestingError, match="not a suite result"):
        hf.testing.SuiteResult.from_json('{"tests": 1}')


def test_assert_suite_fails_a_test_with_the_summary() -> None:
    with pytest.raises(AssertionError) as info:
        hf.testing.assert_suite(suite(), thermometer)
    message = str(info.value)
    assert message.splitlines()[0] == suite().run(thermometer).summary()
    assert "wind chills" in message


def test_assert_suite_returns_the_result_when_it_passes() -> None:
    fixed = lambda df: [  # noqa: E731
        {"label": "cold" if t < 3 else "mild", "chill": 10.0 - t + w}
        for t, w in zip(df["temp"], df["wind"], strict=True)
    ]
    ok = hf.testing.Suite("ok", suite().tests[::2])
    result = hf.testing.assert_suite(ok, fixed)
    assert result.passed and result.pass_rate == 1.0


def test_duplicate_test_names_get_suffixes() -> None:
    s = hf.testing.Suite("dups", [hf.testing.mft([("a", 1)]), hf.testing.mft([("b", 1)])])
    assert [t.name for t in s.tests] == ["mft", "mft #2"]
    with pytest.raises(hf.TestingError, match="takes tests made by"):
        hf.testing.Suite("bad", [lambda x: x])  # type: ignore[list-item]

"""MFT, invariance and directional tests on real tabular and text predictors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

import hyperflow as hf
from hyperflow.testing import perturb

ROWS = pd.DataFrame(
    {
        "x": np.linspace(-3, 3, 40),
        "noise_id": np.arange(40) % 7,
        "other_id": (np.arange(40) * 3) % 7,
    }
)


@pytest.fixture(scope="module")
def classifier() -> Any:
    y = np.where(ROWS["x"] > 0, "up", "down")
    return LogisticRegression().fit(ROWS[["x"]], y)


@pytest.fixture(scope="module")
def regressor() -> Any:
    return LinearRegression().fit(ROWS[["x"]], 2.0 * ROWS["x"] + 1.0)


def frame_predictor(model: Any) -> Any:
    return lambda df: model.predict(df[["x"]])


# -- minimum functionality -------------------------------------------------------------
def test_mft_expected_values_on_dict_rows(classifier: Any) -> None:
    t = hf.testing.mft([({"x": 2.5}, "up"), ({"x": -2.5}, "down"), ({"x": 2.0}, "down")])
    r = t.run(frame_predictor(classifier))
    assert (r.n, r.n_failed, r.passed) == (3, 1, False)
    assert r.pass_rate == pytest.approx(2 / 3)
    (f,) = r.failures
    assert (f.index, f.input, f.output, f.expected) == (2, {"x": 2.0}, "up", "down")
    assert "expected 'down', got 'up'" in f.reason


def test_mft_min_pass_rate_lets_a_share_fail(classifier: Any) -> None:
    cases = [({"x": 2.5}, "up"), ({"x": -2.5}, "down"), ({"x": 2.0}, "down")]
    assert hf.testing.mft(cases, min_pass_rate=0.6).run(frame_predictor(classifier)).passed
    assert not hf.testing.mft(cases, min_pass_rate=0.7).run(frame_predictor(classifier)).passed


def test_mft_predicates_for_a_regressor(regressor: Any) -> None:
    t = hf.testing.mft(
        [({"x": 1.0}, lambda y: 2.9 < y < 3.1), ({"x": 0.0}, lambda y: y < 0)], name="reg"
    )
    r = t.run(frame_predictor(regressor))
    assert [f.index for f in r.failures] == [1]
    assert r.failures[0].output == pytest.approx(1.0)
    assert "predicate" in r.failures[0].reason


def test_mft_numeric_expectation_uses_tolerance(regressor: Any) -> None:
    cases = [({"x": 1.0}, 3.05)]
    assert not hf.testing.mft(cases).run(frame_predictor(regressor)).passed
    assert hf.testing.mft(cases, tolerance=0.1).run(frame_predictor(regressor)).passed


# -- call modes: the predictor takes a DataFrame, dict rows, or one row ----------------
@pytest.mark.parametrize("call", ["frame", "records", "row"])
def test_call_modes_reach_the_predictor_in_the_asked_form(call: str, regressor: Any) -> None:
    seen: list[type] = []

    def predictor(arg: Any) -> Any:
        seen.append(type(arg))
        if call == "row":
            return float(regressor.predict(pd.DataFrame([arg])[["x"]])[0])
        frame = arg if call == "frame" else pd.DataFrame(arg)
        return regressor.predict(frame[["x"]])

    suite = hf.testing.Suite(
        "reg",
        [
            hf.testing.mft([({"x": 1.0, "noise_id": 0, "other_id": 0}, lambda y: y > 2.5)]),
            hf.testing.directional(ROWS.head(5), perturb.add("x", 1.0), expect="increase"),
        ],
    )
    assert suite.run(predictor, call=call).passed
    want = {"frame": pd.DataFrame, "records": list, "row": dict}[call]
    assert set(seen) == {want}


def test_inputs_as_dict_rows_and_frames_give_the_same_result(classifier: Any) -> None:
    rows = ROWS.to_dict("records")
    p = perturb.noise("x", scale=0.5)
    a = hf.testing.invariance(ROWS, p).run(frame_predictor(classifier))
    b = hf.testing.invariance(rows, p).run(frame_predictor(classifier))
    assert a == b and a.n_failed > 0


# -- invariance ------------------------------------------------------------------------
def test_invariance_to_irrelevant_columns_passes_and_noise_near_boundary_fails(
    classifier: Any,
) -> None:
    pred = frame_predictor(classifier)
    assert hf.testing.invariance(ROWS, perturb.swap("noise_id", "other_id")).run(pred).passed
    assert hf.testing.invariance(ROWS, perturb.shuffle("noise_id")).run(pred).passed
    r = hf.testing.invariance(ROWS, perturb.noise("x", scale=0.3)).run(pred)
    assert not r.passed
    for f in r.failures:  # only rows near the decision boundary flip
        assert abs(f.input["x"]) < 1.5
        assert f.output != f.perturbed_output
        assert f.perturbed_input["x"] != f.input["x"]


def test_invariance_tolerance_for_regressor_outputs(regressor: Any) -> None:
    pred = frame_predictor(regressor)
    p = perturb.noise("x", scale=0.01, relative=False)
    assert not hf.testing.invariance(ROWS, p).run(pred).passed
    assert hf.testing.invariance(ROWS, p, tolerance=0.1).run(pred).passed


def test_results_are_deterministic_under_a_seed(classifier: Any) -> None:
    pred = frame_predictor(classifier)
    t = hf.testing.invariance(ROWS, perturb.noise("x", scale=0.3), seed=7, n=30)
    first, again = t.run(pred), t.run(pred)
    assert first == again
    other = t.run(pred, seed=8)
    assert [f.perturbed_input for f in other.failures] != [
        f.perturbed_input for f in first.failures
    ]
    assert hf.testing.Suite("s", [t]).run(pred, seed=8).tests[0] == other


def test_sampling_n_rows_reports_original_positions(classifier: Any) -> None:
    t = hf.testing.invariance(ROWS, perturb.noise("x", scale=0.5), n=20, seed=1)
    r = t.run(frame_predictor(classifier))
    assert r.n == 20 and r.failures
    for f in r.failures:
        assert f.input == ROWS.iloc[f.index].to_dict()


# -- directional -----------------------------------------------------------------------
def test_directional_increase_and_decrease(classifier: Any) -> None:
    pred = hf.testing.from_sklearn(classifier)
    up = lambda out: out["proba"]["up"]  # noqa: E731
    xs = ROWS[["x"]]
    assert hf.testing.directional(xs, perturb.add("x", 1.0), on=up).run(pred).passed
    r = hf.testing.directional(xs, perturb.add("x", 1.0), on=up, expect="decrease").run(pred)
    assert r.pass_rate < 0.05
    f = r.failures[0]
    assert f.perturbed_output > f.output and "increased by" in f.reason


def test_directional_tolerance_allows_small_moves_the_wrong_way(regressor: Any) -> None:
    pred = frame_predictor(regressor)
    p = perturb.add("x", -0.01)
    assert not hf.testing.directional(ROWS, p, expect="increase").run(pred).passed
    assert hf.testing.directional(ROWS, p, expect="increase", tolerance=0.05).run(pred).passed


def test_directional_custom_expectation(regressor: Any) -> None:
    t = hf.testing.directional(
        ROWS, perturb.scale("x", 2.0), expect=lambda before, after: abs(after) >= abs(before)
    )
    assert not t.run(frame_predictor(regressor)).passed  # 2x+1 shrinks for -1 < x < -1/3


def test_directional_needs_numbers(classifier: Any) -> None:
    t = hf.testing.directional(ROWS, perturb.add("x", 1.0))
    with pytest.raises(hf.TestingError, match="needs a number per row"):
        t.run(frame_predictor(classifier))


# -- text ------------------------------------------------------------------------------
PROBE = [
    "Maria said the film was great",
    "John thought the food was terrible",
    "Sara loved the story",
    "Tom found the staff rude",
    "a good movie",
    "the movie was bad",
]


def test_text_suite_passes_for_a_sensible_model(text_predictor: Any) -> None:
    suite = hf.testing.Suite(
        "sentiment",
        [
            hf.testing.mft(
                [("I love it, excellent", "pos"), ("awful, I hate it", "neg")], on="label"
            ),
            hf.testing.invariance(PROBE, perturb.typos(), on="label"),
            hf.testing.invariance(PROBE, perturb.whitespace(), on="label"),
            hf.testing.invariance(PROBE, perturb.punctuation(), on="label"),
            hf.testing.invariance(PROBE, perturb.names(), on="label"),
            hf.testing.invariance(PROBE, perturb.synonyms(), on="label"),
            hf.testing.directional(
                PROBE, lambda t: t + " It was awful.", on="pos", expect="decrease"
            ),
        ],
    )
    result = suite.run(text_predictor)
    assert result.passed, result.report()
    assert result["names() keeps label"].n_skipped == 2  # no name in two texts


def test_text_invariance_catches_a_name_biased_model(text_predictor: Any) -> None:
    def biased(texts: list[str]) -> list[dict[str, Any]]:
        outs = text_predictor(texts)
        return [
            {**o, "label": "neg"} if "John" in t else o for t, o in zip(texts, outs, strict=True)
        ]

    names = [f"{n} liked the great film" for n in ("Anna", "John", "Omar", "Mei")]
    r = hf.testing.invariance(names, perturb.names(), on="label", seed=3).run(biased)
    assert not r.passed and r.failures
    assert all("John" in (f.input + f.perturbed_input) for f in r.failures)


def test_text_predictor_called_per_row(text_predictor: Any) -> None:
    per_row = lambda text: text_predictor([text])[0]  # noqa: E731
    r = hf.testing.invariance(PROBE, perturb.whitespace(), on="label").run(per_row, call="row")
    assert r.passed and r.n == len(PROBE)


# -- misuse ----------------------------------------------------------------------------
def test_misuse_errors_name_the_fix() -> None:
    with pytest.raises(hf.TestingError, match=r"\(input, expected\) pairs"):
        hf.testing.mft([{"x": 1}])  # type: ignore[list-item]
    with pytest.raises(hf.TestingError, match="expect"):
        hf.testing.directional(ROWS, perturb.add("x", 1.0), expect="up")
    with pytest.raises(hf.TestingError, match="min_pass_rate"):
        hf.testing.invariance(ROWS, perturb.add("x", 1.0), min_pass_rate=2.0)
    with pytest.raises(hf.TestingError, match="one output per row"):
        hf.testing.mft([({"x": 1.0}, 1)]).run(lambda df: [1, 2])
    with pytest.raises(hf.TestingError, match="could not read on='label'"):
        hf.testing.mft([({"x": 1.0}, 1)], on="label").run(lambda df: [1])
    with pytest.raises(hf.TestingError, match="call= must be one of"):
        hf.testing.mft([({"x": 1.0}, 1)]).run(lambda df: [1], call="batch")
    with pytest.raises(hf.TestingError, match="works on text inputs"):
        hf.testing.invariance(ROWS, perturb.typos()).run(lambda df: [0] * len(df))

"""Objectives and constraints under hostile or broken input (issue 23, findings 7-9).

NaN and infinity never count as feasible or best; overflow never leaves an Optuna
trial unresolved; parse limits turn deep or huge expressions into OptimizeError.
"""

from __future__ import annotations

import math
from typing import Annotated

import optuna
import pytest

import hyperflow as hf
from hyperflow.optimize import MAX_EXPRESSION_CHARS, MAX_EXPRESSION_DEPTH, Constraint, Expression


def reading(
    x: Annotated[int, hf.Int(0, 3)] = 0, bad: str = "nan", where: str = "latency_ms"
) -> dict[str, float]:
    """x=3 is the best score, but its ``where`` metric is ``bad`` (nan, inf, -inf, huge)."""
    out = {"score": float(x), "latency_ms": 10.0, "accuracy": 0.95}
    if x == 3:
        out[where] = float(bad)
    return out


readings = hf.Pipeline([reading], name="readings")


def _grid(objective: hf.Objective, **inputs: str) -> hf.Study:
    return readings.optimize(
        objective=objective, n_trials=None, sampler="grid", inputs=inputs, track=False
    )


def test_nan_latency_is_infeasible_and_never_best() -> None:
    study = _grid(hf.Objective("score", constraints=["latency_ms <= 50"]))
    by_x = {t.config["reading.x"]: t for t in study.trials}
    assert not by_x[3].feasible
    assert study.best.config["reading.x"] == 2
    assert Constraint("latency_ms <= 50").violation({"latency_ms": math.nan}) == math.inf


@pytest.mark.parametrize("bad", ["inf", "-inf"])
def test_infinite_metric_against_a_finite_bound_is_infeasible(bad: str) -> None:
    # accuracy = +inf satisfies 'accuracy >= 0.9' arithmetically; -inf latency satisfies '<= 50'
    where = "accuracy" if bad == "inf" else "latency_ms"
    text = "accuracy >= 0.9" if bad == "inf" else "latency_ms <= 50"
    study = _grid(hf.Objective("score", constraints=[text]), bad=bad, where=where)
    assert study.best.config["reading.x"] == 2
    assert not {t.config["reading.x"]: t for t in study.trials}[3].feasible


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
def test_a_non_finite_objective_fails_the_trial_and_is_never_best(bad: str) -> None:
    sign = -1 if bad == "-inf" else 1  # -inf would win a minimization
    study = _grid(hf.Objective("score", maximize=sign > 0), bad=bad, where="score")
    t3 = {t.config["reading.x"]: t for t in study.trials}[3]
    assert t3.state == "fail" and "not a finite number" in (t3.error or "")
    assert study.best.config["reading.x"] == (2 if sign > 0 else 0)


def test_nan_hidden_by_max_still_fails_the_objective() -> None:
    # max(0, nan) is 0 in Python: the metric is read, so the trial fails all the same
    study = _grid(hf.Objective("max(0, latency_ms) + score"), bad="nan")
    t3 = {t.config["reading.x"]: t for t in study.trials}[3]
    assert t3.state == "fail"


def test_constant_overflow_is_an_error_when_the_constraint_is_made() -> None:
    with pytest.raises(hf.OptimizeError, match=r"cannot be evaluated.*OverflowError"):
        Constraint("9**9**9 <= 1")
    with pytest.raises(hf.OptimizeError, match="cannot be evaluated"):
        Expression("exp(1000)")
    with pytest.raises(hf.OptimizeError, match="too large for a float"):
        Constraint("9" * 400 + " <= latency_ms")  # an int literal float() cannot hold
    with pytest.raises(hf.OptimizeError, match="not a real number"):
        Constraint("(-8) ** 0.5 <= latency_ms")  # a complex number, not a bound


def test_overflow_from_a_metric_fails_the_trial_and_leaves_none_running() -> None:
    objective = hf.Objective("score", constraints=["latency_ms ** 200 <= 1e300"])
    study = _grid(objective, bad="1e300")  # 10 ** 200 is fine, 1e300 ** 200 overflows
    by_x = {t.config["reading.x"]: t for t in study.trials}
    assert by_x[3].state == "fail" and "cannot be evaluated" in (by_x[3].error or "")
    running = optuna.trial.TrialState.RUNNING
    assert not study.optuna.get_trials(states=(running,))
    assert [t.state for t in study.trials].count("complete") == 3


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("(" * 500 + "x" + ")" * 500, "MAX_EXPRESSION_CHARS"),  # RecursionError before
        ("-" * 900 + "x", "MAX_EXPRESSION_DEPTH"),  # RecursionError before
        ("+".join(["x"] * 1200), "MAX_EXPRESSION_CHARS"),  # RecursionError before
        ("+".join(["x"] * 400), "MAX_EXPRESSION_DEPTH"),  # 400 levels of additions
        ("-(" * 150 + "x" + ")" * 150, "MAX_EXPRESSION_DEPTH"),
    ],
)
def test_deep_or_long_expressions_are_refused_naming_the_limit(text: str, limit: str) -> None:
    with pytest.raises(hf.OptimizeError, match=limit):
        Expression(text)
    with pytest.raises(hf.OptimizeError, match=limit):
        Constraint(f"{text} <= 1")
    with pytest.raises(hf.OptimizeError, match=limit):
        hf.Objective("score", constraints=[f"1 <= {text}"])


def test_limits_leave_room_for_real_expressions() -> None:
    assert MAX_EXPRESSION_CHARS >= 500 and MAX_EXPRESSION_DEPTH >= 50
    assert Expression("+".join(["x"] * 40))({"x": 1.0}) == 40.0
    assert Expression("(" * 40 + "x" + ")" * 40)({"x": 2.0}) == 2.0


def test_error_messages_do_not_echo_huge_expressions() -> None:
    with pytest.raises(hf.OptimizeError) as info:
        Expression("+".join(["x"] * 1200))
    assert len(str(info.value)) < 400

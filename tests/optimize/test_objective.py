from __future__ import annotations

import pytest

import hyperflow as hf
from hyperflow.optimize import Constraint, Expression


def test_expression_arithmetic_and_functions() -> None:
    assert Expression("0.7 * f1 - 0.3 * latency_ms / 100")({"f1": 0.9, "latency_ms": 10}) == 0.6
    assert Expression("0.7*f1 + 0.3/latency_ms")({"f1": 1.0, "latency_ms": 3.0}) == 0.8
    assert (
        Expression("max(a, b) - abs(-c) + sqrt(d) + log(exp(1))")({"a": 1, "b": 2, "c": 3, "d": 4})
        == 2.0
    )
    assert Expression("-a ** 2")({"a": 3}) == -9.0
    assert Expression("f1").names == frozenset({"f1"})


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "f1.real()",
        "[1][0]",
        "lambda: 1",
        "f1 if 1 else 2",
        "open('x')",
        "'a' + 'b'",
    ],
)
def test_no_arbitrary_code(text: str) -> None:
    with pytest.raises(hf.OptimizeError, match="unsupported element"):
        Expression(text)


def test_dotted_names_are_metric_names_never_attributes() -> None:
    # hf.folds reports "f1.std"; a dotted name is looked up whole, no attribute is read
    assert Expression("f1 - 2 * f1.std").names == frozenset({"f1", "f1.std"})
    assert Expression("f1 - 2 * f1.std")({"f1": 0.9, "f1.std": 0.05}) == pytest.approx(0.8)
    assert Expression("f1.real")({"f1.real": 3.0}) == 3.0
    with pytest.raises(hf.OptimizeError, match=r"uses 'f1\.real', which the trial's metrics"):
        Expression("f1.real")({"f1": 3.0})


def test_syntax_errors_and_empty() -> None:
    with pytest.raises(hf.OptimizeError, match="cannot parse"):
        Expression("f1 +")
    with pytest.raises(hf.OptimizeError, match="non-empty"):
        Expression("  ")


def test_missing_metric_names_available_ones() -> None:
    with pytest.raises(hf.OptimizeError, match=r"uses 'f2'.*available metrics: f1, latency_ms"):
        Expression("f2 * 2")({"f1": 1.0, "latency_ms": 3.0})


def test_constraints() -> None:
    c = Constraint("latency_ms <= 20")
    assert c.violation({"latency_ms": 25}) == 5 and c.violation({"latency_ms": 10}) == -10
    assert Constraint("acc >= 0.9").violation({"acc": 0.8}) == pytest.approx(0.1)
    chain = Constraint("0.1 <= recall <= 0.9")
    assert chain.violation({"recall": 0.5}) < 0 < chain.violation({"recall": 0.95})
    with pytest.raises(hf.OptimizeError, match="is an inequality"):
        Constraint("latency_ms == 20")
    with pytest.raises(hf.OptimizeError, match="is an inequality"):
        Constraint("latency_ms")


def test_objective_forms() -> None:
    single = hf.Objective("f1", constraints=["latency_ms <= 20"])
    assert single.directions == ["maximize"] and not single.multi
    assert single.names == {"f1", "latency_ms"}
    assert hf.Objective("loss", maximize=False).directions == ["minimize"]
    multi = hf.Objective(maximize=["f1"], minimize=["latency_ms", "cost"])
    assert multi.directions == ["maximize", "minimize", "minimize"] and multi.multi
    with pytest.raises(hf.OptimizeError, match="either one expression"):
        hf.Objective("f1", minimize=["x"])
    with pytest.raises(hf.OptimizeError, match="needs an expression"):
        hf.Objective()
    assert "subject to 'latency_ms <= 20'" in repr(single)

from __future__ import annotations

from typing import Annotated

import pytest

import hyperflow as hf


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: hf.Int(3, 1), "`low <= high` must hold, but got low=3, high=1"),
        (lambda: hf.Float(3.0, 1.0), "`low <= high` must hold, but got low=3.0, high=1.0"),
        (lambda: hf.Float(0.0, 1.0, log=True), "needs `low > 0`"),
        (lambda: hf.Int(0, 10, log=True), "needs `low > 0`"),
        (lambda: hf.Int(1.5, 3), "integer bounds"),  # type: ignore[arg-type]
        (lambda: hf.Int(1, 10, step=0), "positive integer"),
        (lambda: hf.Float(0.0, 1.0, step=-0.1), "step must be positive"),
        (lambda: hf.Choice(), "at least one option"),
        (lambda: hf.Choice("a", "a"), "distinct"),
        (lambda: hf.Choice(object()), "must be str, int, float, bool or None"),
    ],
)
def test_invalid_spaces_raise_clear_errors(make: object, message: str) -> None:
    with pytest.raises(hf.SpaceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()  # type: ignore[operator]


def test_space_errors_are_value_errors_and_hyperflow_errors() -> None:
    with pytest.raises(ValueError):
        hf.Int(2, 1)
    with pytest.raises(hf.HyperflowError):
        hf.Int(2, 1)


def test_contains() -> None:
    assert hf.Int(1, 10, step=3).contains(7)
    assert not hf.Int(1, 10, step=3).contains(8)
    assert not hf.Int(1, 10).contains(True)
    assert not hf.Int(1, 10).contains(2.0)
    assert hf.Float(0.0, 1.0).contains(1)
    assert not hf.Float(0.0, 1.0).contains(float("nan"))
    assert hf.Float(0.0, 1.0, step=0.25).contains(0.75)
    assert not hf.Float(0.0, 1.0, step=0.25).contains(0.7)
    assert hf.Choice("l1", "l2").contains("l2")
    assert not hf.Choice(1, 2).contains(True)
    assert hf.Choice([1, 2]).options == (1, 2)
    assert hf.Bool().contains(False) and not hf.Bool().contains(0)


def test_default_must_lie_in_domain() -> None:
    def model(C: Annotated[float, hf.Float(1.0, 2.0)] = 3.0) -> float:
        return C

    with pytest.raises(hf.DefinitionError, match=r"default 3.0 .* 'C' of node 'model'"):
        hf.Pipeline([model])


def test_tunable_needs_a_default() -> None:
    def model(C: Annotated[float, hf.Float(1.0, 2.0)]) -> float:
        return C

    with pytest.raises(hf.DefinitionError, match="needs a real default"):
        hf.Pipeline([model])


def test_functions_stay_plain_python() -> None:
    @hf.node(output="features", variant="poly")
    def poly(x: float, degree: Annotated[int, hf.Int(2, 3)] = 2) -> float:
        return float(x**degree)

    assert poly(3.0) == 9.0
    assert poly(2.0, degree=3) == 8.0
    assert poly.__name__ == "poly"

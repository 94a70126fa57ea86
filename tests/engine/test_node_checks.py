"""Node output checks: plain callables keep working; lazy validators report every failure."""

from __future__ import annotations

from typing import Any

import pytest

import hyperflow as hf


def run_with(check: Any, value: Any) -> Any:
    @hf.node(check=check)
    def out(x: Any) -> Any:
        return x

    return hf.Pipeline([out], name="p").run(inputs={"x": value}, track=False)["out"]


def positive(v: int) -> bool:
    return v > 0


def test_callable_checks() -> None:
    assert run_with(positive, 3) == 3
    with pytest.raises(hf.NodeCheckError, match="check 'positive' returned False"):
        run_with(positive, -1)


class LazyValidator:
    """A validator in pandera's shape: lazy=True collects all failures."""

    def __init__(self) -> None:
        self.lazy_seen: list[bool] = []

    def validate(self, value: list[int], lazy: bool = False) -> list[int]:
        self.lazy_seen.append(lazy)
        bad = [(i, v) for i, v in enumerate(value) if v < 0]
        if bad:
            exc = ValueError("negative values")
            exc.failure_cases = Cases(  # type: ignore[attr-defined]
                [{"column": "v", "check": "ge(0)", "failure_case": v, "index": i} for i, v in bad]
            )
            raise exc
        return value


class Cases:
    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def to_dict(self, orient: str) -> list[dict[str, Any]]:
        assert orient == "records"
        return self.records


def test_lazy_validator_is_called_lazily_and_failures_are_described() -> None:
    v = LazyValidator()
    assert run_with(v, [1, 2]) == [1, 2]
    with pytest.raises(hf.NodeCheckError) as info:
        run_with(v, [1, -2, 3, -4, -5, -6, -7, -8, -9])
    assert v.lazy_seen == [True, True]
    message = str(info.value)
    assert message.startswith("output of node 'out' failed its check: column 'v' failed ge(0)")
    assert "values [-2, -4, -5, -6, -7] and 2 more at rows [1, 3, 4, 5, 6]" in message


def test_validator_without_lazy_and_plain_errors() -> None:
    class Strict:
        def validate(self, value: int) -> int:
            raise TypeError("not allowed")

    with pytest.raises(hf.NodeCheckError, match="failed its check: TypeError: not allowed"):
        run_with(Strict(), 1)

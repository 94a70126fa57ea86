"""Suites of behavioural tests, the test factories, a pytest helper and suite references."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from hyperflow._errors import TestingError
from hyperflow.testing._behaviour import (
    BehaviourTest,
    Directional,
    Invariance,
    MinimumFunctionality,
    On,
    _on_label,
)
from hyperflow.testing._result import SuiteResult
from hyperflow.testing.perturb import Perturbation, rowwise

__all__ = ["Suite", "assert_suite", "directional", "invariance", "load_suite", "mft"]


def mft(
    cases: Sequence[tuple[Any, Any]],
    *,
    on: On = None,
    tolerance: float = 0.0,
    min_pass_rate: float = 1.0,
    name: str | None = None,
) -> MinimumFunctionality:
    """A minimum functionality test: simple cases the model must always get right.

    Args:
        cases: ``(input, expected)`` pairs; ``input`` is a dict row or a text,
            ``expected`` a value (compared up to ``tolerance`` for numbers) or a
            predicate on the output (regressors: ``lambda y: 10 < y < 20``).
        on: what to judge in each output: a key, an index or a function.
        tolerance: allowed absolute difference for numeric expectations.
        min_pass_rate: share of cases that must pass.
        name: the test's name in reports (default ``"mft"``).

    Example:
        >>> t = mft([("great film", "pos"), (" awful", lambda y: y == "neg")])
        >>> t.run(lambda texts: ["neg" if "awful" in x else "pos" for x in texts]).passed
        True
    """
    return MinimumFunctionality(
        cases, on=on, tolerance=tolerance, min_pass_rate=min_pass_rate, name=name
    )


def _perturbation(perturb: Perturbation | Callable[[Any], Any]) -> Perturbation:
    return perturb if isinstance(perturb, Perturbation) else rowwise(perturb)


def invariance(
    inputs: Any,
    perturb: Perturbation | Callable[[Any], Any],
    *,
    on: On = None,
    tolerance: float = 0.0,
    min_pass_rate: float = 1.0,
    n: int | None = None,
    seed: int = 0,
    name: str | None = None,
) -> Invariance:
    """An invariance test: a label-preserving perturbation must not change the output.

    Args:
        inputs: a DataFrame, dict rows or texts.
        perturb: a :mod:`hyperflow.testing.perturb` perturbation, or a function on one row.
        on: what to compare in each output (default: the whole output).
        tolerance: allowed absolute change of numeric outputs.
        min_pass_rate: share of rows that must keep their output.
        n: test a seeded random sample of ``n`` rows instead of all.
        seed: seeds sampling and the perturbation.
        name: the test's name (default: from the perturbation and ``on``).

    Example:
        >>> from hyperflow.testing import perturb
        >>> t = invariance(["good", "bad"], perturb.whitespace())
        >>> t.run(lambda texts: [len(x.split()) for x in texts]).pass_rate
        1.0
    """
    p = _perturbation(perturb)
    return Invariance(
        inputs,
        p,
        on=on,
        tolerance=tolerance,
        min_pass_rate=min_pass_rate,
        n=n,
        seed=seed,
        name=name or f"{p.name} keeps {_on_label(on)}",
    )


def directional(
    inputs: Any,
    perturb: Perturbation | Callable[[Any], Any],
    *,
    on: On = None,
    expect: str | Callable[[Any, Any], bool] = "increase",
    tolerance: float = 0.0,
    min_pass_rate: float = 1.0,
    n: int | None = None,
    seed: int = 0,
    name: str | None = None,
) -> Directional:
    """A directional expectation test: a perturbation must move a number one way.

    Args:
        inputs: a DataFrame, dict rows or texts.
        perturb: a perturbation, or a function on one row.
        on: picks the number to watch from each output (a key, index or function).
        expect: ``"increase"`` (must not drop by more than ``tolerance``),
            ``"decrease"``, or a function ``(before, after) -> bool``.
        tolerance: allowed move the wrong way.
        min_pass_rate: share of rows that must meet the expectation.
        n: test a seeded random sample of ``n`` rows.
        seed: seeds sampling and the perturbation.
        name: the test's name (default: from the perturbation, ``expect`` and ``on``).

    Example:
        >>> import pandas as pd
        >>> from hyperflow.testing import perturb
        >>> t = directional(pd.DataFrame({"x": [1.0, 2.0]}), perturb.add("x", 1.0))
        >>> t.run(lambda df: (df["x"] * 3).tolist()).passed
        True
    """
    p = _perturbation(perturb)
    label = expect if isinstance(expect, str) else _on_label(expect)
    return Directional(
        inputs,
        p,
        expect=expect,
        on=on,
        tolerance=tolerance,
        min_pass_rate=min_pass_rate,
        n=n,
        seed=seed,
        name=name or f"{p.name} {label}s {_on_label(on)}",
    )


class Suite:
    """A named list of behavioural tests that a model must pass before it ships.

    Args:
        name: the suite's name.
        tests: tests made with :func:`mft`, :func:`invariance`, :func:`directional`;
            names repeated within the suite get a ``#2``, ``#3`` suffix.

    Example:
        >>> import hyperflow as hf
        >>> suite = hf.testing.Suite("len", [hf.testing.mft([("abc", 3)])])
        >>> suite.run(lambda texts: [len(t) for t in texts]).summary()
        "suite 'len' passed: 1 of 1 tests passed, 100.0% of examples"
    """

    def __init__(self, name: str, tests: Sequence[BehaviourTest]) -> None:
        bad = [t for t in tests if not isinstance(t, BehaviourTest)]
        if bad:
            raise TestingError(
                f"Suite {name!r} takes tests made by hf.testing.mft/invariance/directional, "
                f"but got {bad!r}"
            )
        seen: dict[str, int] = {}
        for t in tests:
            seen[t.name] = seen.get(t.name, 0) + 1
            if seen[t.name] > 1:
                t.name = f"{t.name} #{seen[t.name]}"
        self.name = name
        self.tests = list(tests)
        self._module: str | None = sys._getframe(1).f_globals.get("__name__")

    @property
    def ref(self) -> str | None:
        """``"module:attr"`` under which this suite is importable, or ``None``."""
        module = sys.modules.get(self._module or "")
        if module is None or self._module == "__main__":
            return None
        for attr, value in vars(module).items():
            if value is self:
                return f"{self._module}:{attr}"
        return None

    def run(
        self, predictor: Callable[..., Any], *, call: str = "frame", seed: int | None = None
    ) -> SuiteResult:
        """Run every test against ``predictor`` and collect the results.

        Args:
            predictor: any callable; e.g. ``hf.registry.load("weather@production")``.
            call: how inputs reach it: ``"frame"`` (a DataFrame; texts as a list),
                ``"records"`` (a list of dict rows) or ``"row"`` (one row per call).
            seed: overrides every test's own seed.
        """
        results = [t.run(predictor, call=call, seed=seed) for t in self.tests]
        return SuiteResult(suite=self.name, tests=results, suite_ref=self.ref, seed=seed)

    def __repr__(self) -> str:
        return f"Suite({self.name!r}, {self.tests!r})"


def assert_suite(
    suite: Suite, predictor: Callable[..., Any], *, call: str = "frame", seed: int | None = None
) -> SuiteResult:
    """Run ``suite`` and raise ``AssertionError`` (its summary and failures) unless it passes.

    Example:
        >>> import hyperflow as hf
        >>> suite = hf.testing.Suite("len", [hf.testing.mft([("abc", 3)])])
        >>> assert_suite(suite, lambda texts: [0 for _ in texts])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        AssertionError: suite 'len' FAILED: 0 of 1 tests passed, 0.0% of examples — mft 'mft': ...
    """
    result = suite.run(predictor, call=call, seed=seed)
    if not result.passed:
        raise AssertionError(result.report())
    return result


def load_suite(ref: str) -> Suite:
    """Import the suite named by ``"module:attr"`` (the form :attr:`Suite.ref` gives).

    Example:
        >>> load_suite("hyperflow.testing:Suite")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        hyperflow.TestingError: 'hyperflow.testing:Suite' names a 'type' object, ...
    """
    from hyperflow._refs import RefError, import_ref

    try:
        obj: Any = import_ref(ref)
    except RefError as exc:
        raise TestingError(f"cannot load suite {ref!r}: {exc}") from exc
    if not isinstance(obj, Suite):
        raise TestingError(
            f"{ref!r} names a {type(obj).__name__!r} object, not a hf.testing.Suite; point it at a "
            "module-level Suite"
        )
    return obj

"""Results of behavioural tests: failing examples, per-test and per-suite outcomes, JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from hyperflow._errors import TestingError

__all__ = ["Failure", "SuiteResult", "TestResult"]

SHOWN_FAILURES = 3


@dataclass(frozen=True)
class Failure:
    """One failing example: what went in, what came out, before and after perturbation.

    ``perturbed_input``/``perturbed_output`` are ``None`` for minimum-functionality
    cases, ``expected`` is ``None`` for invariance/directional ones.
    """

    test: str
    index: int
    input: Any
    output: Any
    perturbed_input: Any = None
    perturbed_output: Any = None
    expected: Any = None
    reason: str = ""

    def describe(self) -> str:
        """One line naming the row, the values and why it failed."""
        if self.perturbed_input is None:
            return f"#{self.index} {self.input!r} -> {self.output!r}: {self.reason}"
        return (
            f"#{self.index} {self.input!r} -> {self.output!r}, perturbed "
            f"{self.perturbed_input!r} -> {self.perturbed_output!r}: {self.reason}"
        )


@dataclass(frozen=True)
class TestResult:
    """Outcome of one behavioural test.

    ``pass_rate`` is the share of its (non-skipped) examples that passed; the test
    passes when it reaches ``min_pass_rate``.
    """

    __test__ = False  # not a pytest test class

    name: str
    kind: str
    passed: bool
    pass_rate: float
    min_pass_rate: float
    n: int
    n_failed: int
    n_skipped: int = 0
    failures: list[Failure] = field(default_factory=list)

    def summary(self) -> str:
        """``"directional 'x': 91.0% < 100.0% (9 of 100 failed)"``-style line."""
        verdict = ">=" if self.passed else "<"
        skipped = f", {self.n_skipped} skipped" if self.n_skipped else ""
        return (
            f"{self.kind} {self.name!r}: {self.pass_rate:.1%} {verdict} {self.min_pass_rate:.1%} "
            f"({self.n_failed} of {self.n} failed{skipped})"
        )


@dataclass(frozen=True)
class SuiteResult:
    """Outcome of a suite run.

    Attributes:
        suite: the suite's name.
        tests: one :class:`TestResult` per test, in order.
        suite_ref: ``"module:attr"`` of the suite when it is importable, else ``None``.
        seed: the seed the run used (``None``: each test's own seed).

    Example:
        >>> import hyperflow as hf
        >>> suite = hf.testing.Suite("len", [hf.testing.mft([("ab", 2), ("abc", 2)])])
        >>> result = suite.run(lambda texts: [len(t) for t in texts])
        >>> result.passed, result.pass_rate, result.failures[0].reason
        (False, 0.5, 'expected 2, got 3')
        >>> SuiteResult.from_json(result.to_json()) == result
        True
    """

    suite: str
    tests: list[TestResult]
    suite_ref: str | None = None
    seed: int | None = None

    @property
    def passed(self) -> bool:
        """Whether every test reached its minimum pass rate."""
        return all(t.passed for t in self.tests)

    @property
    def pass_rate(self) -> float:
        """Share of all examples, across tests, that passed (1.0 for an empty suite)."""
        n = sum(t.n for t in self.tests)
        return 1.0 if n == 0 else 1.0 - sum(t.n_failed for t in self.tests) / n

    @property
    def pass_rates(self) -> dict[str, float]:
        """Each test's pass rate, by test name."""
        return {t.name: t.pass_rate for t in self.tests}

    @property
    def failures(self) -> list[Failure]:
        """Every failing example of every test."""
        return [f for t in self.tests for f in t.failures]

    def __getitem__(self, name: str) -> TestResult:
        for t in self.tests:
            if t.name == name:
                return t
        raise KeyError(f"no test named {name!r}; tests: {[t.name for t in self.tests]}")

    def summary(self) -> str:
        """A one-line verdict naming the failing tests and their pass rates."""
        failed = [t for t in self.tests if not t.passed]
        head = (
            f"suite {self.suite!r} {'passed' if not failed else 'FAILED'}: "
            f"{len(self.tests) - len(failed)} of {len(self.tests)} tests passed, "
            f"{self.pass_rate:.1%} of examples"
        )
        if not failed:
            return head
        return head + " — " + "; ".join(t.summary() for t in failed)

    def report(self, max_failures: int = SHOWN_FAILURES) -> str:
        """The summary plus each test's line and its first failing examples."""
        lines = [self.summary()]
        for t in self.tests:
            lines.append(("  ok   " if t.passed else "  FAIL ") + t.summary())
            lines.extend("         " + f.describe() for f in t.failures[:max_failures])
            if len(t.failures) > max_failures:
                lines.append(f"         ... and {len(t.failures) - max_failures} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-safe), including the derived ``passed`` and ``pass_rate``."""
        data = asdict(self)
        data.update(passed=self.passed, pass_rate=self.pass_rate)
        return data

    def to_json(self, indent: int | None = None) -> str:
        """The result as JSON; :meth:`from_json` reads it back equal."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> SuiteResult:
        """Read a result written by :meth:`to_json`."""
        try:
            data = json.loads(text)
            tests = [
                TestResult(**{**t, "failures": [Failure(**f) for f in t["failures"]]})
                for t in data["tests"]
            ]
            return cls(
                suite=data["suite"],
                tests=tests,
                suite_ref=data.get("suite_ref"),
                seed=data.get("seed"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TestingError(
                f"not a suite result written by SuiteResult.to_json(): {type(exc).__name__}: {exc}"
            ) from exc

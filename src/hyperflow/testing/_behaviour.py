"""The three behavioural test kinds of CheckList: MFT, invariance, directional expectation.

Each test calls the predictor on a batch (and on its perturbed copy) and judges
one value per row: the raw output, or what ``on=`` picks from it (a key such
as ``"label"``, an index, or a function such as ``lambda o: o["proba"]["rain"]``).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from hyperflow._errors import TestingError
from hyperflow.testing._predict import (
    Batch,
    jsonable,
    predict_batch,
    row_at,
    rows_of,
    to_batch,
)
from hyperflow.testing._result import Failure, TestResult
from hyperflow.testing.perturb import Perturbation, rowwise

__all__ = ["BehaviourTest", "Directional", "Invariance", "MinimumFunctionality", "On"]

On = str | int | Callable[[Any], Any] | None
EXPECTATIONS = ("increase", "decrease")


def _on_label(on: Any) -> str:
    if on is None:
        return "output"
    if callable(on):
        name = getattr(on, "__name__", "output")
        return "output" if name == "<lambda>" else name
    return str(on)


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def same(a: Any, b: Any, tolerance: float) -> bool:
    """Equal, up to ``tolerance`` for numbers (also inside lists, arrays and dicts)."""
    if _is_number(a) and _is_number(b):
        return abs(float(a) - float(b)) <= tolerance
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k], tolerance) for k in a)
    if isinstance(a, list | tuple | np.ndarray) and isinstance(b, list | tuple | np.ndarray):
        return len(a) == len(b) and all(same(x, y, tolerance) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class BehaviourTest:
    """Base of behavioural tests: a name, a minimum pass rate, a seed and :meth:`run`."""

    kind = "test"

    def __init__(self, name: str, *, on: On, min_pass_rate: float, seed: int) -> None:
        if not 0.0 <= min_pass_rate <= 1.0:
            raise TestingError(f"min_pass_rate must lie in [0, 1], but got {min_pass_rate}")
        self.name = name
        self.on = on
        self.min_pass_rate = float(min_pass_rate)
        self.seed = seed

    def pick(self, output: Any) -> object:
        """The value this test judges: ``output`` seen through ``on=`` (not yet JSON-safe)."""
        try:
            if self.on is None:
                value = output
            elif callable(self.on):
                value = self.on(output)
            else:
                value = output[self.on]
        except (KeyError, IndexError, TypeError) as exc:
            raise TestingError(
                f"{self.kind} test {self.name!r} could not read on={_on_label(self.on)!r} from "
                f"the output {jsonable(output)!r}: {type(exc).__name__}: {exc}; pass on= a key, "
                "index or function that fits the predictor's per-row output"
            ) from exc
        return value

    def run(
        self, predictor: Callable[..., Any], *, call: str = "frame", seed: int | None = None
    ) -> TestResult:
        """Run the test against ``predictor`` (see :meth:`Suite.run` for ``call``)."""
        raise NotImplementedError

    def _result(self, n: int, failures: list[Failure], skipped: int = 0) -> TestResult:
        rate = 1.0 if n == 0 else 1.0 - len(failures) / n
        return TestResult(
            name=self.name,
            kind=self.kind,
            passed=n > 0 and rate >= self.min_pass_rate,
            pass_rate=rate,
            min_pass_rate=self.min_pass_rate,
            n=n,
            n_failed=len(failures),
            n_skipped=skipped,
            failures=failures,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class MinimumFunctionality(BehaviourTest):
    """Simple cases the model must get right: an expected value or a predicate per input."""

    kind = "mft"

    def __init__(
        self,
        cases: Sequence[tuple[Any, Any]],
        *,
        on: On = None,
        tolerance: float = 0.0,
        min_pass_rate: float = 1.0,
        name: str | None = None,
    ) -> None:
        super().__init__(name or "mft", on=on, min_pass_rate=min_pass_rate, seed=0)
        pairs = list(cases)
        if not pairs or not all(isinstance(c, tuple) and len(c) == 2 for c in pairs):
            raise TestingError(
                "mft(cases=...) takes a non-empty list of (input, expected) pairs, where "
                "expected is a value or a predicate on the output, e.g. "
                "[({'precipitation': 30.0}, 'rain'), ('great film', lambda p: p > 0.5)]"
            )
        self.batch = to_batch([c[0] for c in pairs], what=f"mft test {self.name!r}")
        self.expected = [c[1] for c in pairs]
        self.tolerance = tolerance

    def run(
        self, predictor: Callable[..., Any], *, call: str = "frame", seed: int | None = None
    ) -> TestResult:
        outputs = predict_batch(predictor, self.batch, call)
        rows = rows_of(self.batch)
        failures = []
        for i, (row, out, want) in enumerate(zip(rows, outputs, self.expected, strict=True)):
            got = jsonable(self.pick(out))
            if callable(want):
                ok = bool(want(got))
                reason = f"predicate {_on_label(want)!r} is false for {got!r}"
                shown = None
            else:
                ok = same(got, want, self.tolerance)
                reason = f"expected {want!r}, got {got!r}"
                shown = jsonable(want)
            if not ok:
                failures.append(Failure(self.name, i, row, got, expected=shown, reason=reason))
        return self._result(len(rows), failures)


class _Paired(BehaviourTest):
    """A test comparing each input's output with its perturbed copy's output."""

    def __init__(
        self,
        inputs: Any,
        perturb: Perturbation | Callable[[Any], Any],
        *,
        on: On,
        tolerance: float,
        min_pass_rate: float,
        n: int | None,
        seed: int,
        name: str,
    ) -> None:
        super().__init__(name, on=on, min_pass_rate=min_pass_rate, seed=seed)
        self.batch = to_batch(inputs, what=f"{self.kind} test {name!r}")
        self.perturb = perturb if isinstance(perturb, Perturbation) else rowwise(perturb)
        if tolerance < 0:
            raise TestingError(f"tolerance must be >= 0, but got {tolerance}")
        self.tolerance = float(tolerance)
        self.n = n

    def judge(self, before: Any, after: Any) -> str | None:
        """``None`` when the pair passes, else the reason it fails."""
        raise NotImplementedError

    def run(
        self, predictor: Callable[..., Any], *, call: str = "frame", seed: int | None = None
    ) -> TestResult:
        rng = np.random.default_rng(self.seed if seed is None else seed)
        batch = self.batch
        positions = list(range(len(batch)))
        if self.n is not None and self.n < len(batch):
            idx = np.sort(rng.choice(len(batch), size=self.n, replace=False))
            positions = [int(i) for i in idx]
            batch = (
                batch.iloc[idx].reset_index(drop=True)
                if isinstance(batch, pd.DataFrame)
                else [batch[i] for i in positions]
            )
        tried = len(positions)
        changed = self.perturb(batch, rng)
        perturbed: Batch = changed if isinstance(changed, pd.DataFrame) else []
        if isinstance(changed, list):
            keep = [i for i, x in enumerate(changed) if x is not None]
            texts = cast(list[str], batch)
            batch = [texts[i] for i in keep]
            perturbed = [x for x in changed if x is not None]
            positions = [positions[i] for i in keep]
        if not positions:
            return self._result(0, [], skipped=tried)
        before = predict_batch(predictor, batch, call)
        after = predict_batch(predictor, perturbed, call)
        failures = []
        for j, (b, a) in enumerate(zip(before, after, strict=True)):
            vb, va = self.pick(b), self.pick(a)
            reason = self.judge(vb, va)
            if reason is not None:  # rows are converted for failures only: cheap when passing
                failures.append(
                    Failure(
                        self.name,
                        positions[j],
                        row_at(batch, j),
                        jsonable(vb),
                        row_at(perturbed, j),
                        jsonable(va),
                        None,
                        reason,
                    )
                )
        return self._result(len(positions), failures, tried - len(positions))


class Invariance(_Paired):
    """A label-preserving perturbation must not change the output (up to ``tolerance``)."""

    kind = "invariance"

    def judge(self, before: Any, after: Any) -> str | None:
        if same(before, after, self.tolerance):
            return None
        tol = f" by more than {self.tolerance:g}" if self.tolerance else ""
        return f"output changed{tol} under {self.perturb.name}"


class Directional(_Paired):
    """A perturbation must move a numeric output one way.

    ``expect="increase"`` passes when the value does not drop by more than
    ``tolerance`` (CheckList's monotonic expectation); ``"decrease"`` mirrors it.
    A function ``expect(before, after) -> bool`` states any other expectation.
    """

    kind = "directional"

    def __init__(self, *args: Any, expect: str | Callable[[Any, Any], bool], **kwargs: Any) -> None:
        if not callable(expect) and expect not in EXPECTATIONS:
            raise TestingError(
                f"directional(expect=...) must be one of {EXPECTATIONS} or a function "
                f"(before, after) -> bool, but got {expect!r}"
            )
        self.expect = expect
        super().__init__(*args, **kwargs)

    def judge(self, before: Any, after: Any) -> str | None:
        if callable(self.expect):
            ok = bool(self.expect(before, after))
            return None if ok else f"expect {_on_label(self.expect)!r} is false"
        if not (_is_number(before) and _is_number(after)):
            raise TestingError(
                f"directional test {self.name!r} needs a number per row, but on="
                f"{_on_label(self.on)!r} gave {before!r}; pass on= a function returning a "
                "number, e.g. on=lambda out: out['proba']['rain']"
            )
        delta = float(after) - float(before)
        if self.expect == "increase" and delta < -self.tolerance:
            return f"decreased by {-delta:.4g} (tolerance {self.tolerance:g})"
        if self.expect == "decrease" and delta > self.tolerance:
            return f"increased by {delta:.4g} (tolerance {self.tolerance:g})"
        return None

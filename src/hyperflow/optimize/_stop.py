"""``stop_when=``: rules that end a search early, and the reason a search ended."""

from __future__ import annotations

import difflib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeAlias

from hyperflow._errors import OptimizeError

__all__ = ["StopSpec", "StopTracker", "StopWhen"]


@dataclass(frozen=True)
class StopWhen:
    """When a search ends before ``n_trials`` (any rule that holds ends it).

    Started trials always finish; no new one starts. The reason is kept in
    ``Study.stop_reason`` (and the study's ``hf_stop_reason`` attribute).

    Attributes:
        no_improvement: this many finished trials in a row without a better objective.
        reached: the objective reached this value (at least it when maximizing, at most
            when minimizing).
        seconds: the search has run this long (a time budget).
        cost: ``(metric, budget)``: the metric summed over this call's trials (e.g.
            ``("train_seconds", 3600)`` or a cloud bill) reached the budget.
    """

    no_improvement: int | None = None
    reached: float | None = None
    seconds: float | None = None
    cost: tuple[str, float] | None = None

    def __post_init__(self) -> None:
        if self.no_improvement is not None and self.no_improvement < 1:
            raise OptimizeError(
                f"stop_when no_improvement must be >= 1 trial, got {self.no_improvement}"
            )
        if self.seconds is not None and not self.seconds > 0:
            raise OptimizeError(f"stop_when seconds must be > 0, got {self.seconds}")
        if self.cost is not None and (len(self.cost) != 2 or not isinstance(self.cost[0], str)):
            raise OptimizeError(
                f"stop_when cost must be (metric name, budget), e.g. ('seconds', 600); "
                f"got {self.cost!r}"
            )

    @classmethod
    def coerce(cls, spec: StopSpec) -> StopWhen | None:
        """A ``StopWhen`` from itself, a mapping of its fields, or ``None``."""
        if spec is None or isinstance(spec, StopWhen):
            return spec
        if not isinstance(spec, Mapping):
            raise OptimizeError(
                f"stop_when must be a StopWhen or a dict of rules, not {type(spec).__name__}"
            )
        names = [f.name for f in fields(cls)]
        for key in spec:
            if key not in names:
                close = difflib.get_close_matches(str(key), names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise OptimizeError(
                    f"unknown stop_when rule {key!r}{hint}; rules: {', '.join(names)}"
                )
        cost = spec.get("cost")
        return cls(
            no_improvement=spec.get("no_improvement"),
            reached=spec.get("reached"),
            seconds=spec.get("seconds"),
            cost=None if cost is None else (str(cost[0]), float(cost[1])),
        )


StopSpec: TypeAlias = "StopWhen | Mapping[str, Any] | None"
"""A ``stop_when=`` argument: a ``StopWhen``, a dict of its fields, or ``None``."""


class StopTracker:
    """Follows the finished trials of one search and says when a rule ends it."""

    def __init__(self, rules: StopWhen | None, maximize: bool, best: float | None) -> None:
        self.rules = rules
        self.sign = 1.0 if maximize else -1.0
        self.best = best
        self.since_best = 0
        self.spent = 0.0
        self.t0 = time.monotonic()

    def _improves(self, value: float) -> bool:
        return self.best is None or self.sign * value > self.sign * self.best

    def update(self, value: float | None, metrics: Mapping[str, float]) -> str | None:
        """Record a finished trial (``value``: its objective, ``None`` when it has none);
        the reason to stop, or ``None``."""
        if value is not None and math.isfinite(value) and self._improves(value):
            self.best, self.since_best = value, 0
        else:
            self.since_best += 1
        rules = self.rules
        if rules is None:
            return None
        if rules.cost is not None:
            self.spent += float(metrics.get(rules.cost[0], 0.0))
        return self._reason(rules)

    def _reason(self, rules: StopWhen) -> str | None:
        best = self.best
        if rules.reached is not None and best is not None and (
            self.sign * best >= self.sign * rules.reached
        ):
            return f"objective reached {rules.reached:g} (best {best:.6g})"
        if rules.no_improvement is not None and self.since_best >= rules.no_improvement:
            return f"no improvement in {self.since_best} trials (best {self.best})"
        if rules.cost is not None and self.spent >= rules.cost[1]:
            return f"cost budget spent: {rules.cost[0]} summed to {self.spent:.6g}"
        return self.timed_out()

    def timed_out(self) -> str | None:
        """The time-budget reason, when the budget is spent."""
        seconds = None if self.rules is None else self.rules.seconds
        if seconds is not None and time.monotonic() - self.t0 >= seconds:
            return f"time budget of {seconds:g} s spent"
        return None

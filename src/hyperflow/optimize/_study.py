"""``Study``: the outcome of an optimization, readable as results, a table or pictures."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from hyperflow._errors import OptimizeError
from hyperflow.optimize._objective import Objective

if TYPE_CHECKING:
    import optuna
    import pandas as pd

    from hyperflow.viz import Figure

__all__ = ["Study", "StudySummary", "TrialResult", "TrialState"]


class TrialState(StrEnum):
    """Where a trial stands (Optuna's states; the values compare equal to plain strings)."""

    COMPLETE = "complete"
    PRUNED = "pruned"
    FAIL = "fail"
    RUNNING = "running"
    WAITING = "waiting"


@dataclass(frozen=True)
class TrialResult:
    """One trial: its config, objective value(s), metrics and tracked run.

    ``state`` is a ``TrialState`` (``"complete"``, ``"pruned"``, ``"fail"``,
    ``"running"`` or ``"waiting"``); ``feasible`` says whether every constraint held.
    ``run_id`` is the trial's tracked run, failed trials included.
    """

    number: int
    state: TrialState
    config: dict[str, Any]
    values: list[float] | None
    metrics: dict[str, float]
    feasible: bool
    run_id: str | None
    error: str | None = None
    duration_s: float | None = None
    cache_hits: dict[str, bool] = field(default_factory=dict)

    @property
    def value(self) -> float | None:
        """The objective value (single objective), ``None`` when the trial has none."""
        return self.values[0] if self.values else None


def _dominates(a: list[float], b: list[float], signs: list[float]) -> bool:
    better_or_equal = all(x * s >= y * s for x, y, s in zip(a, b, signs, strict=True))
    strictly = any(x * s > y * s for x, y, s in zip(a, b, signs, strict=True))
    return better_or_equal and strictly


def _finite(values: list[float] | None) -> bool:
    return values is not None and all(math.isfinite(v) for v in values)


@dataclass(frozen=True)
class StudySummary:
    """Counts for reporting a study: trials by state, feasibility, and what this call added.

    Attributes:
        total: every trial of the study.
        by_state: trials per ``TrialState`` (every state, zeros included).
        feasible: complete trials that satisfy every constraint.
        infeasible: complete trials that violate a constraint.
        earlier: trials the study held before the ``optimize()`` call that returned it
            (``n_trials`` on an existing study means this many more).
        added: trials that call ran (queued, never-started trials not counted).
    """

    total: int
    by_state: dict[TrialState, int]
    feasible: int
    infeasible: int
    earlier: int
    added: int


class Study:
    """The trials of one named search, backed by an Optuna study.

    Attributes:
        name: the study's name (its key in the storage).
        objective: the ``hf.Objective`` it optimizes.
        optuna: the underlying ``optuna.Study`` for anything Optuna offers.
        earlier: trials the study held before the ``optimize()`` call that made this object.
        stop_reason: why that call ended before ``n_trials`` (a ``stop_when`` rule, the
            timeout, an exhausted sampler), ``None`` when it ran them all.
    """

    def __init__(
        self, optuna_study: optuna.Study, objective: Objective, pipeline: str, earlier: int = 0
    ) -> None:
        self.optuna = optuna_study
        self.objective = objective
        self.pipeline = pipeline
        self.name: str = optuna_study.study_name
        self.earlier = earlier
        self.stop_reason: str | None = None

    def __repr__(self) -> str:
        return f"Study({self.name!r}, pipeline={self.pipeline!r}, trials={len(self.trials)})"

    @property
    def trials(self) -> list[TrialResult]:
        """Every trial in order, finished or not."""
        notes = self.optuna.user_attrs  # reasons recorded for trials ended from outside
        out = []
        for t in self.optuna.get_trials(deepcopy=False):
            attrs = t.user_attrs
            violations = attrs.get("hf_constraints") or []
            state = TrialState(t.state.name.lower())
            duration = t.duration.total_seconds() if t.duration is not None else None
            out.append(
                TrialResult(
                    number=t.number,
                    state=state,
                    config=dict(attrs.get("hf_config") or t.params),
                    values=list(t.values) if t.values is not None else None,
                    metrics=dict(attrs.get("hf_metrics") or {}),
                    feasible=state == TrialState.COMPLETE and all(v <= 0 for v in violations),
                    run_id=attrs.get("hf_run_id"),
                    error=attrs.get("hf_error") or notes.get(f"hf_error:{t.number}"),
                    duration_s=duration,
                    cache_hits=dict(attrs.get("hf_cache_hits") or {}),
                )
            )
        return out

    def summary(self) -> StudySummary:
        """Trials by state, feasible and infeasible counts, and how many this call added."""
        trials = self.trials
        by_state = dict.fromkeys(TrialState, 0)
        for t in trials:
            by_state[t.state] += 1
        feasible = sum(t.feasible for t in trials)
        return StudySummary(
            total=len(trials),
            by_state=by_state,
            feasible=feasible,
            infeasible=by_state[TrialState.COMPLETE] - feasible,
            earlier=self.earlier,
            added=max(0, len(trials) - by_state[TrialState.WAITING] - self.earlier),
        )

    def _signs(self) -> list[float]:
        return [1.0 if d == "maximize" else -1.0 for d in self.objective.directions]

    @property
    def best(self) -> TrialResult:
        """The best feasible complete trial (single objective).

        Raises:
            OptimizeError: the study has several objectives, or no complete trial with a
                finite value satisfied the constraints (the message says which).
        """
        if self.objective.multi:
            raise OptimizeError(
                f"study {self.name!r} has {len(self.objective.directions)} objectives: there is no "
                "single best trial; use study.pareto_front()"
            )
        sign = self._signs()[0]
        trials = self.trials
        candidates = [t for t in trials if t.feasible and _finite(t.values)]
        if not candidates:
            raise OptimizeError(self._no_best(trials))
        return max(candidates, key=lambda t: (sign * (t.value or 0.0), -t.number))

    def _no_best(self, trials: list[TrialResult]) -> str:
        states: dict[str, int] = {}
        for t in trials:
            states[t.state.value] = states.get(t.state.value, 0) + 1
        head = f"study {self.name!r} has no feasible completed trial"
        complete = states.get(TrialState.COMPLETE.value, 0)
        if complete and self.objective.constraints:
            texts = ", ".join(repr(c.text) for c in self.objective.constraints)
            return (
                f"{head}: none of its {complete} completed trial(s) satisfied the constraints "
                f"{texts} (trials by state: {states}); relax the constraints or run more trials"
            )
        return (
            f"{head} yet (trials by state: {states or 'none'}); run more trials or relax "
            "the constraints"
        )

    def pareto_front(self) -> list[TrialResult]:
        """Feasible complete trials that no other feasible trial dominates."""
        signs = self._signs()
        done = [t for t in self.trials if t.feasible and _finite(t.values)]
        return [
            t
            for t in done
            if not any(
                _dominates(o.values or [], t.values or [], signs) for o in done if o is not t
            )
        ]

    def importance(self, objective: int = 0, *, method: str = "fanova") -> dict[str, float]:
        """How much of the objective's variation each config key explains (sums to 1).

        Optuna's importance evaluators over the complete trials, most important first:
        ``method="fanova"`` (functional ANOVA on a random forest) or ``"ped_anova"``
        (fast; compares the top trials' parameter distribution with all trials').
        Keys searched in only some trials (inside one variant) are left out.

        Raises:
            OptimizeError: fewer than two complete trials, or an unknown method.
        """
        import optuna

        evaluators: dict[str, Callable[[], Any]] = {
            "fanova": optuna.importance.FanovaImportanceEvaluator,
            "ped_anova": optuna.importance.PedAnovaImportanceEvaluator,
        }
        if method not in evaluators:
            raise OptimizeError(
                f"unknown importance method {method!r}; use one of {', '.join(evaluators)}"
            )
        complete = self.optuna.get_trials(
            deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)
        )
        if len(complete) < 2:
            raise OptimizeError(
                f"study {self.name!r} has {len(complete)} complete trial(s); parameter "
                "importance needs at least 2: run more trials"
            )
        evaluator = evaluators[method]()
        lower = -self._signs()[objective]  # targets where lower is better (PED-ANOVA's view)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                found = evaluator.evaluate(
                    self.optuna, target=lambda t: lower * t.values[objective]
                )
        except (RuntimeError, ValueError) as exc:  # e.g. no key common to every trial
            raise OptimizeError(f"study {self.name!r}: no parameter importance: {exc}") from exc
        total = sum(float(v) for v in found.values()) or 1.0
        ranked = sorted(found.items(), key=lambda kv: -float(kv[1]))
        return {str(k): float(v) / total for k, v in ranked}

    def _plot_trials(self, index: int = 0) -> list[dict[str, Any]]:
        """Trials for ``hf.viz``: infeasible ones are not counted as complete."""
        out = []
        for t in self.trials:
            state = (
                "COMPLETE"
                if t.feasible
                else ("INFEASIBLE" if t.state == TrialState.COMPLETE else t.state.name)
            )
            value = t.values[index] if t.values else None
            out.append({"number": t.number, "value": value, "params": t.config, "state": state})
        return out

    def plot_history(self, objective: int = 0) -> Figure:
        """Objective value per trial with the best-so-far line (an SVG ``Figure``)."""
        from hyperflow import viz

        return viz.plot_history(
            self._plot_trials(objective),
            direction=self.objective.directions[objective],
            title=f"{self.name}: optimization history",
        )

    def plot_importance(self, objective: int = 0) -> Figure:
        """How much each config key explains the objective (an SVG ``Figure``)."""
        from hyperflow import viz

        return viz.plot_importance(
            self._plot_trials(objective), title=f"{self.name}: parameter importance"
        )

    def plot_parallel(self, objective: int = 0) -> Figure:
        """Parallel coordinates: one axis per config key plus the objective."""
        from hyperflow import viz

        return viz.plot_parallel(
            self._plot_trials(objective),
            direction=self.objective.directions[objective],
            title=f"{self.name}: parallel coordinates",
        )

    def trials_dataframe(self) -> pd.DataFrame:
        """One row per trial: number, state, value(s), config keys, metrics, run id."""
        import pandas as pd

        rows = []
        for t in self.trials:
            row: dict[str, Any] = {"number": t.number, "state": t.state.value}
            if t.values is not None and len(t.values) == 1:
                row["value"] = t.values[0]
            elif t.values is not None:
                row.update({f"value_{i}": v for i, v in enumerate(t.values)})
            row["feasible"] = t.feasible
            row.update({f"config.{k}": v for k, v in t.config.items()})
            row.update({f"metrics.{k}": v for k, v in t.metrics.items()})
            row["cache_hits"] = sum(t.cache_hits.values())
            row["duration_s"] = t.duration_s
            row["run_id"] = t.run_id
            row["error"] = t.error
            rows.append(row)
        return pd.DataFrame(rows)

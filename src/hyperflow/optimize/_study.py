"""``Study``: the outcome of an optimization, readable as results, a table or pictures."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hyperflow._errors import OptimizeError
from hyperflow.optimize._objective import Objective

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Study", "TrialResult"]


@dataclass(frozen=True)
class TrialResult:
    """One trial: its config, objective value(s), metrics and tracked run.

    ``state`` is ``complete``, ``pruned``, ``fail``, ``running`` or ``waiting``;
    ``feasible`` says whether every constraint held.
    """

    number: int
    state: str
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


class Study:
    """The trials of one named search, backed by an Optuna study.

    Attributes:
        name: the study's name (its key in the storage).
        objective: the ``hf.Objective`` it optimizes.
        optuna: the underlying ``optuna.Study`` for anything Optuna offers.
    """

    def __init__(self, optuna_study: Any, objective: Objective, pipeline: str) -> None:
        self.optuna = optuna_study
        self.objective = objective
        self.pipeline = pipeline
        self.name: str = optuna_study.study_name

    def __repr__(self) -> str:
        return f"Study({self.name!r}, pipeline={self.pipeline!r}, trials={len(self.trials)})"

    @property
    def trials(self) -> list[TrialResult]:
        """Every trial in order, finished or not."""
        out = []
        for t in self.optuna.get_trials(deepcopy=False):
            attrs = t.user_attrs
            violations = attrs.get("hf_constraints") or []
            state = t.state.name.lower()
            duration = t.duration.total_seconds() if t.duration is not None else None
            out.append(
                TrialResult(
                    number=t.number,
                    state=state,
                    config=dict(attrs.get("hf_config") or t.params),
                    values=list(t.values) if t.values is not None else None,
                    metrics=dict(attrs.get("hf_metrics") or {}),
                    feasible=state == "complete" and all(v <= 0 for v in violations),
                    run_id=attrs.get("hf_run_id"),
                    error=attrs.get("hf_error"),
                    duration_s=duration,
                    cache_hits=dict(attrs.get("hf_cache_hits") or {}),
                )
            )
        return out

    def _signs(self) -> list[float]:
        return [1.0 if d == "maximize" else -1.0 for d in self.objective.directions]

    @property
    def best(self) -> TrialResult:
        """The best feasible complete trial (single objective)."""
        if self.objective.multi:
            raise OptimizeError(
                f"study {self.name!r} has {len(self.objective.directions)} objectives: there is no "
                "single best trial; use study.pareto_front()"
            )
        sign = self._signs()[0]
        candidates = [
            t for t in self.trials if t.feasible and t.value is not None and not math.isnan(t.value)
        ]
        if not candidates:
            states: dict[str, int] = {}
            for t in self.trials:
                states[t.state] = states.get(t.state, 0) + 1
            raise OptimizeError(
                f"study {self.name!r} has no feasible completed trial yet (trials by state: "
                f"{states or 'none'}); run more trials or relax the constraints"
            )
        return max(candidates, key=lambda t: (sign * (t.value or 0.0), -t.number))

    def pareto_front(self) -> list[TrialResult]:
        """Feasible complete trials that no other feasible trial dominates."""
        signs = self._signs()
        done = [t for t in self.trials if t.feasible and t.values is not None]
        return [
            t
            for t in done
            if not any(
                _dominates(o.values or [], t.values or [], signs) for o in done if o is not t
            )
        ]

    def _plot_trials(self, index: int = 0) -> list[dict[str, Any]]:
        """Trials for ``hf.viz``: infeasible ones are not counted as complete."""
        out = []
        for t in self.trials:
            state = (
                "COMPLETE"
                if t.feasible
                else ("INFEASIBLE" if t.state == "complete" else t.state.upper())
            )
            value = t.values[index] if t.values else None
            out.append({"number": t.number, "value": value, "params": t.config, "state": state})
        return out

    def plot_history(self, objective: int = 0) -> Any:
        """Objective value per trial with the best-so-far line (an SVG ``Figure``)."""
        from hyperflow import viz

        return viz.plot_history(
            self._plot_trials(objective),
            direction=self.objective.directions[objective],
            title=f"{self.name}: optimization history",
        )

    def plot_importance(self, objective: int = 0) -> Any:
        """How much each config key explains the objective (an SVG ``Figure``)."""
        from hyperflow import viz

        return viz.plot_importance(
            self._plot_trials(objective), title=f"{self.name}: parameter importance"
        )

    def plot_parallel(self, objective: int = 0) -> Any:
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
            row: dict[str, Any] = {"number": t.number, "state": t.state}
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

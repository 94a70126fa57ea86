"""Studies as the dashboard reads them: Optuna studies kept in the store's database."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperflow._errors import HyperflowError, OptimizeError
from hyperflow.store import MetadataStore
from hyperflow.ui._study_sql import read_studies, read_trials, study_id, trials_signature

if TYPE_CHECKING:
    from hyperflow.optimize import TrialResult
    from hyperflow.viz import Trial

__all__ = ["MAX_PARALLEL_LINES", "StudyIndex", "StudyView", "study_plots"]

MAX_PARALLEL_LINES = 1_000  # parallel coordinates draw the best this many trials
_CACHED_STUDIES = 8


@dataclass(frozen=True)
class StudyRow:
    """One line of the studies list."""

    name: str
    trials: int
    directions: list[str]
    pipeline: str | None


@dataclass
class StudyView:
    """One study's trials, directions and where it stands."""

    name: str
    pipeline: str | None
    objective: str | None
    directions: list[str]
    trials: list[TrialResult]
    pictures: dict[bool, dict[str, str]] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        """Whether trials are still running or waiting (the page keeps polling)."""
        return any(t.state in ("running", "waiting") for t in self.trials)

    def counts(self) -> dict[str, int]:
        """Trials per state."""
        out: dict[str, int] = {}
        for t in self.trials:
            out[t.state.value] = out.get(t.state.value, 0) + 1
        return out

    def best(self) -> TrialResult | None:
        """The best feasible trial (single objective)."""
        if len(self.directions) != 1:
            return None
        sign = 1.0 if self.directions[0] == "maximize" else -1.0
        done = [t for t in self.trials if t.feasible and t.value is not None
                and math.isfinite(t.value)]
        return max(done, key=lambda t: (sign * (t.value or 0.0), -t.number)) if done else None

    def pareto(self) -> list[TrialResult]:
        """Feasible trials no other feasible trial dominates (multi-objective)."""
        signs = [1.0 if d == "maximize" else -1.0 for d in self.directions]
        done = [t for t in self.trials if t.feasible and t.values
                and all(math.isfinite(v) for v in t.values)]
        keyed = sorted(
            done, key=lambda t: [-s * v for s, v in zip(signs, t.values or [], strict=True)]
        )
        front: list[TrialResult] = []
        for t in keyed:  # sorted: a dominating trial comes first
            tv = [s * v for s, v in zip(signs, t.values or [], strict=True)]
            if not any(all(f >= x for f, x in zip(fv, tv, strict=True)) and fv != tv
                       for fv in ([s * v for s, v in zip(signs, o.values or [], strict=True)]
                                  for o in front)):
                front.append(t)
        return front


class StudyIndex:
    """Reads the studies kept in a store's database (Optuna's tables, read in bulk)."""

    def __init__(self, store: MetadataStore) -> None:
        self._engine: sa.Engine | None = getattr(store, "engine", None)
        self._cache: dict[str, tuple[tuple[Any, ...], StudyView]] = {}
        self._lock = threading.Lock()

    def _has_studies(self) -> bool:
        """Whether Optuna's tables exist (nothing is created while none was stored)."""
        return self._engine is not None and sa.inspect(self._engine).has_table("studies")

    def studies(self) -> list[StudyRow]:
        """Every stored study, newest first."""
        if self._engine is None or not self._has_studies():
            return []
        with self._engine.connect() as conn:
            found = read_studies(conn)
        return [StudyRow(name, n, dirs, attrs.get("hf_pipeline"))
                for name, n, dirs, attrs in found]

    def load(self, name: str) -> StudyView:
        """The trials of study ``name``.

        Raises:
            OptimizeError: no such study (the stored ones are named).
        """
        found = None
        if self._engine is not None and self._has_studies():
            with self._engine.connect() as conn:
                found = study_id(conn, name)
                if found is not None:
                    return self._view(conn, name, *found)
        known = [s.name for s in self.studies()][:20]
        raise OptimizeError(
            f"no study {name!r} in this store; stored: {', '.join(known) or 'none'}"
        )

    def _view(self, conn: sa.Connection, name: str, sid: int, directions: list[str],
              attrs: dict[str, Any]) -> StudyView:
        """The study's view, read again only when a trial changed (pictures kept with it)."""
        signature = (sid, *trials_signature(conn, sid))
        with self._lock:
            cached = self._cache.get(name)
        if cached is not None and cached[0] == signature:
            return cached[1]
        view = StudyView(name, attrs.get("hf_pipeline"), attrs.get("hf_objective"),
                         directions, read_trials(conn, sid, attrs))
        with self._lock:
            if len(self._cache) >= _CACHED_STUDIES:
                self._cache.pop(next(iter(self._cache)))
            self._cache[name] = (signature, view)
        return view


def _plot_trials(view: StudyView, index: int) -> list[Trial]:
    """The view's trials as ``hf.viz.Trial`` (built once: the plots take them as they are)."""
    from hyperflow.viz import Trial

    out = []
    for t in view.trials:
        state = "COMPLETE" if t.feasible else (
            "INFEASIBLE" if t.state == "complete" else t.state.name)
        value = t.values[index] if t.values else None
        out.append(Trial(t.number, None if value is None else float(value), t.config, state))
    return out


def _best_first(trials: list[Trial], maximize: bool) -> list[Trial]:
    done = [t for t in trials if t.state == "COMPLETE" and t.value is not None]
    done.sort(key=lambda t: -(t.value or 0.0) if maximize else (t.value or 0.0))
    return done[:MAX_PARALLEL_LINES]


def study_plots(view: StudyView, *, history_only: bool = False) -> dict[str, str]:
    """SVGs by name: history (per objective), importance, parallel coordinates, Pareto.

    Drawn once per view (a view is read again when a trial changes).
    """
    if history_only not in view.pictures:
        view.pictures[history_only] = _draw(view, history_only)
    return view.pictures[history_only]


def _draw(view: StudyView, history_only: bool) -> dict[str, str]:
    from hyperflow import viz
    from hyperflow.ui._charts import scatter_chart

    out: dict[str, str] = {}
    for i, direction in enumerate(view.directions):
        trials = _plot_trials(view, i)
        suffix = f" · objective {i}" if len(view.directions) > 1 else ""
        try:
            out[f"history{i}"] = viz.plot_history(
                trials, direction=direction, title=f"{view.name}: history{suffix}").svg
            if history_only or i > 0:
                continue
            out["importance"] = viz.plot_importance(
                trials, title=f"{view.name}: parameter importance").svg
            best = _best_first(trials, direction == "maximize")
            out["parallel"] = viz.plot_parallel(
                best, direction=direction, title=f"{view.name}: parallel coordinates").svg
        except HyperflowError:  # too few complete trials for this picture yet
            continue
    if len(view.directions) >= 2 and not history_only:
        done = [t for t in view.trials if t.feasible and t.values]
        front = view.pareto()
        label = "trial {}".format
        out["pareto"] = scatter_chart(
            f"{view.name}: Pareto front ({len(front)} trials)",
            [(t.values[0], t.values[1], label(t.number)) for t in done if t.values],
            [(t.values[0], t.values[1], label(t.number)) for t in front if t.values],
            (f"objective 0 ({view.directions[0]})", f"objective 1 ({view.directions[1]})"),
        )
    return out

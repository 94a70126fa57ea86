"""Studies as the dashboard reads them: Optuna studies kept in the store's database."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hyperflow._errors import HyperflowError, OptimizeError
from hyperflow.store import MetadataStore

if TYPE_CHECKING:
    import optuna

    from hyperflow.optimize import TrialResult

__all__ = ["MAX_PARALLEL_LINES", "StudyIndex", "StudyView", "study_plots"]

MAX_PARALLEL_LINES = 1_000  # parallel coordinates draw the best this many trials


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
    """Opens the Optuna storage of a store once and reads studies from it."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store
        self._storage: optuna.storages.BaseStorage | None = None
        self._lock = threading.Lock()

    def _open(self) -> optuna.storages.BaseStorage | None:
        """The storage, or ``None`` while no study was ever stored (nothing is created)."""
        import sqlalchemy as sa

        with self._lock:
            if self._storage is not None:
                return self._storage
            engine = getattr(self._store, "engine", None)
            url = getattr(self._store, "sqlalchemy_url", None)
            if engine is None or url is None or not sa.inspect(engine).has_table("studies"):
                return None
            import optuna

            optuna.logging.set_verbosity(optuna.logging.WARNING)
            self._storage = optuna.storages.RDBStorage(str(url))
            return self._storage

    def studies(self) -> list[StudyRow]:
        """Every stored study, newest first."""
        import optuna

        storage = self._open()
        if storage is None:
            return []
        rows = []
        for s in reversed(optuna.get_all_study_summaries(storage, include_best_trial=False)):
            rows.append(StudyRow(s.study_name, s.n_trials,
                                 [d.name.lower() for d in s.directions],
                                 s.user_attrs.get("hf_pipeline")))
        return rows

    def load(self, name: str) -> StudyView:
        """The trials of study ``name``.

        Raises:
            OptimizeError: no such study (the stored ones are named).
        """
        import optuna

        from hyperflow.optimize import Objective, Study

        storage = self._open()
        try:
            if storage is None:
                raise KeyError(name)
            ostudy = optuna.load_study(study_name=name, storage=storage)
        except KeyError:
            known = [s.name for s in self.studies()][:20]
            raise OptimizeError(
                f"no study {name!r} in this store; stored: {', '.join(known) or 'none'}"
            ) from None
        attrs = ostudy.user_attrs
        study = Study(ostudy, Objective("value"), str(attrs.get("hf_pipeline") or ""))
        return StudyView(name, attrs.get("hf_pipeline"), attrs.get("hf_objective"),
                         [d.name.lower() for d in ostudy.directions], study.trials)


def _plot_trials(view: StudyView, index: int) -> list[dict[str, Any]]:
    out = []
    for t in view.trials:
        state = "COMPLETE" if t.feasible else (
            "INFEASIBLE" if t.state == "complete" else t.state.name)
        value = t.values[index] if t.values else None
        out.append({"number": t.number, "value": value, "params": t.config, "state": state})
    return out


def _best_first(trials: list[dict[str, Any]], maximize: bool) -> list[dict[str, Any]]:
    done = [t for t in trials if t["state"] == "COMPLETE" and t["value"] is not None]
    done.sort(key=lambda t: -t["value"] if maximize else t["value"])
    return done[:MAX_PARALLEL_LINES]


def study_plots(view: StudyView, *, history_only: bool = False) -> dict[str, str]:
    """SVGs by name: history (per objective), importance, parallel coordinates, Pareto."""
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

"""The ask/tell loop: Optuna asks, a trial runs (here or on an executor), Optuna is told."""

from __future__ import annotations

import logging
import os
import socket
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from hyperflow._errors import OptimizeError
from hyperflow.core import Pipeline
from hyperflow.optimize._objective import Objective
from hyperflow.optimize._pool import TrialProgress
from hyperflow.optimize._report import LocalReporter, Reporter, ReportService
from hyperflow.optimize._space import suggest_config
from hyperflow.optimize._stop import StopTracker
from hyperflow.optimize._study import Study
from hyperflow.optimize._trial import TrialOutcome, TrialSpec, run_trial

if TYPE_CHECKING:
    import optuna

__all__ = ["Search", "run_search", "tell_state"]

log = logging.getLogger("hyperflow.optimize")

_EXHAUSTED = "the sampler's space is exhausted"


@dataclass
class Search:
    """One ``optimize()`` call's loop: what to run, where, how many, and how far it got."""

    study: Study
    base: TrialSpec  # every trial's spec, but its config and trial tag
    fixed: dict[str, Any]
    n_trials: int
    executor: Executor | None
    parallel: int
    deadline: float | None
    bar: TrialProgress
    reports: ReportService | None = None  # worker trials' hf.report calls (a pruner is set)
    stop: StopTracker = field(default_factory=lambda: StopTracker(None, True, None))
    started: int = 0
    reason: str | None = None  # why the search ended early (a stop rule, the sampler, time)
    host: str = field(default_factory=socket.gethostname)

    @property
    def ostudy(self) -> optuna.Study:
        return self.study.optuna

    @property
    def objective(self) -> Objective:
        return self.study.objective

    @property
    def stopped(self) -> bool:
        return self.reason is not None

    def end(self, reason: str | None) -> None:
        """End the search early for ``reason`` (the first reason given is kept)."""
        if reason is not None and self.reason is None:
            self.reason = reason
            log.info("study %s stops: %s", self.study.name, reason)

    def can_start(self, running: int) -> bool:
        if self.stopped or self.started >= self.n_trials or running >= self.parallel:
            return False
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.end("timeout: no new trial starts after the deadline")
            return False
        self.end(self.stop.timed_out())
        return not self.stopped


def _asks_to_stop(exc: RuntimeError) -> bool:
    """Whether ``exc`` is a sampler's ``study.stop()`` (Grid, BruteForce: space exhausted).

    ``Study.stop`` only works inside ``Study.optimize``; in an ask/tell loop Optuna raises
    this after the trial has been stored, so the loop just starts no more trials.
    """
    return "Study.stop" in str(exc)


def tell_state(
    ostudy: optuna.Study,
    trial: optuna.Trial | int,
    values: list[float] | None = None,
    state: optuna.trial.TrialState | None = None,
) -> bool:
    """``ostudy.tell``; returns ``True`` when the sampler asked to stop the search."""
    told: float | list[float] | None = values[0] if values and len(values) == 1 else values
    try:
        ostudy.tell(trial, told, state=state)
    except RuntimeError as exc:
        if not _asks_to_stop(exc):
            raise
        return True
    return False


def _fail(search: Search, trial: optuna.Trial, error: str, *, pruned: bool = False) -> None:
    import optuna

    state = optuna.trial.TrialState
    trial.set_user_attr("hf_error", error)
    if tell_state(search.ostudy, trial, state=state.PRUNED if pruned else state.FAIL):
        search.end(_EXHAUSTED)
    if pruned:  # expected, when a pruner is set: not a warning
        log.info("trial %d pruned: %s", trial.number, error)
    else:
        log.warning("trial %d failed: %s", trial.number, error)


def _record(trial: optuna.Trial, outcome: TrialOutcome) -> None:
    if outcome.run_id:
        trial.set_user_attr("hf_run_id", outcome.run_id)
    if outcome.pid:
        trial.set_user_attr("hf_worker_pid", outcome.pid)
    if outcome.cache_hits:
        trial.set_user_attr("hf_cache_hits", outcome.cache_hits)


def _tell(search: Search, trial: optuna.Trial, outcome: TrialOutcome) -> float | None:
    """Record ``outcome`` on ``trial`` and tell Optuna; a mistake in the objective raises.

    Returns the objective value of a feasible single-objective trial, else ``None``.
    """
    _record(trial, outcome)
    if outcome.metrics is None:
        _fail(search, trial, outcome.error or "unknown error", pruned=outcome.pruned)
        return None
    trial.set_user_attr("hf_metrics", outcome.metrics)
    try:
        evaluation = search.objective.evaluate(outcome.metrics)
    except OptimizeError as exc:  # an unknown metric: no trial can succeed
        _fail(search, trial, str(exc))
        raise
    if evaluation.error is not None:  # NaN / inf / overflow: this trial failed
        _fail(search, trial, evaluation.error)
        return None
    trial.set_user_attr("hf_constraints", evaluation.violations)
    if hasattr(trial, "set_constraint"):
        for constraint, violation in zip(
            search.objective.constraints, evaluation.violations, strict=True
        ):
            trial.set_constraint(constraint.text, violation)
    if tell_state(search.ostudy, trial, evaluation.values):
        search.end(_EXHAUSTED)
    if not search.objective.multi and not any(v > 0 for v in evaluation.violations):
        return evaluation.values[0]
    return None


def _ask(search: Search) -> tuple[optuna.Trial, TrialSpec]:
    """A new trial and the spec that runs it."""
    trial = search.ostudy.ask()
    search.started += 1
    trial.set_user_attr("hf_host", search.host)  # first: whose trial it is, for recovery
    trial.set_user_attr("hf_pid", os.getpid())
    pipeline: Pipeline = search.base.pipeline
    try:
        config = pipeline.space.resolve(suggest_config(trial, pipeline.space, search.fixed))
    except BaseException as exc:
        _fail(search, trial, f"no config: {type(exc).__name__}: {exc}")
        raise
    trial.set_user_attr("hf_config", config)
    tags = {**search.base.tags, "hyperflow.trial": str(trial.number)}
    return trial, replace(search.base, config=config, tags=tags, reporter=_reporter(search, trial))


def _reporter(search: Search, trial: optuna.Trial) -> Reporter | None:
    """Where the trial's ``hf.report`` calls go: the trial itself, or the report service."""
    if search.executor is None:
        return LocalReporter(trial)
    if search.reports is not None:
        return search.reports.reporter(trial)
    return None


def _best_text(study: Study) -> str:
    if study.objective.multi:
        return f"pareto {len(study.pareto_front())}"
    try:
        return f"best {study.best.value:.4g}"
    except OptimizeError:
        return "no feasible trial yet"


def _finish(search: Search, trial: optuna.Trial, outcome: TrialOutcome) -> None:
    if search.reports is not None:
        search.reports.forget(trial.number)
    value = _tell(search, trial, outcome)
    search.end(search.stop.update(value, outcome.metrics or {}))
    if search.bar.enabled:  # reading the best trial reads every trial: only for the bar
        search.bar.update(_best_text(search.study), pruned=outcome.pruned)


def _run_here(search: Search, trial: optuna.Trial, spec: TrialSpec) -> None:
    try:
        outcome = run_trial(spec)
    except BaseException:  # KeyboardInterrupt and the like: the trial does not stay RUNNING
        _fail(search, trial, "interrupted while running")
        raise
    _finish(search, trial, outcome)


def _outcome(fut: Future[TrialOutcome]) -> TrialOutcome:
    try:
        return fut.result()
    except Exception as exc:  # the worker itself broke (e.g. pickling)
        return TrialOutcome(None, None, 0.0, error=f"{type(exc).__name__}: {exc}")


def run_search(search: Search) -> str | None:
    """Run trials until ``n_trials``, the deadline, a stop rule or the sampler's stop;
    every trial started here ends COMPLETE, PRUNED or FAIL, even when the loop is
    interrupted. Returns why the search ended early (``None``: it ran ``n_trials``)."""
    running: dict[Future[TrialOutcome], optuna.Trial] = {}
    try:
        while True:
            while search.can_start(len(running)):
                trial, spec = _ask(search)
                if search.executor is None:
                    _run_here(search, trial, spec)
                else:
                    running[search.executor.submit(run_trial, spec)] = trial
            if not running:
                return search.reason
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                _finish(search, running.pop(fut), _outcome(fut))
    finally:
        for fut, trial in running.items():
            fut.cancel()
            _fail(search, trial, "abandoned: the study stopped before this trial finished")
        search.bar.close()

"""``optimize()``: validate, build the sampler, open (and recover) the study, run the loop.

Trials run in this process, or concurrently on any ``concurrent.futures``
executor (``n_jobs=`` makes a process pool; a Dask ``Client.get_executor()``
works the same). Every trial is a tracked pipeline run that shares the
content-addressed cache, so unchanged upstream nodes are not recomputed.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from hyperflow._errors import OptimizeError
from hyperflow.core import Pipeline
from hyperflow.optimize._fidelity import Fidelity, fidelity_pruner
from hyperflow.optimize._loop import Search, run_search
from hyperflow.optimize._objective import Objective
from hyperflow.optimize._pool import TrialProgress, cpus
from hyperflow.optimize._recover import recover_abandoned
from hyperflow.optimize._report import ReportService, build_pruner
from hyperflow.optimize._sampler import build_sampler, open_storage
from hyperflow.optimize._stop import StopSpec, StopTracker, StopWhen
from hyperflow.optimize._study import Study
from hyperflow.optimize._trial import CacheSpec, TrackSpec, TrialSpec
from hyperflow.optimize._warm import WarmStart, enqueue_warm, warm_configs
from hyperflow.optimize._workers import acquire_pool, release_pool

if TYPE_CHECKING:
    import optuna
    from optuna.pruners import BasePruner
    from optuna.samplers import BaseSampler
    from optuna.storages import BaseStorage

__all__ = ["optimize"]


def optimize(
    pipeline: Pipeline,
    *,
    objective: Objective | str,
    inputs: Mapping[str, Any] | None = None,
    n_trials: int | None = 20,
    sampler: str | BaseSampler = "tpe",
    seed: int | None = None,
    n_jobs: int = 1,
    executor: Executor | None = None,
    study: str | None = None,
    storage: str | BaseStorage | None = None,
    metrics: str | None = None,
    keep: Sequence[str] = (),
    fixed: Mapping[str, Any] | None = None,
    grid: dict[str, list[Any]] | None = None,
    timeout: float | None = None,
    cache: CacheSpec = None,
    track: TrackSpec = None,
    progress: bool | None = None,
    pruner: str | BasePruner | None = None,
    warm_start: WarmStart = None,
    stop_when: StopSpec = None,
    fidelity: Fidelity | None = None,
) -> Study:
    """Search ``pipeline.space`` for the config that optimizes ``objective``.

    Args:
        objective: an ``hf.Objective`` (or an expression string to maximize).
        inputs: the pipeline's inputs, the same for every trial.
        n_trials: trials to run now (on an existing study: this many more). With
            ``sampler="grid"`` and ``None``: one trial per distinct configuration.
        sampler: ``"tpe"``, ``"random"``, ``"grid"``, ``"nsga2"``, ``"cmaes"``,
            ``"qmc"``, or any Optuna sampler instance. A sampler that exhausts its
            space (a grid, ``BruteForceSampler``) ends the search early.
        seed: seeds the sampler: same seed, sampler and data give the same configs.
        n_jobs: trials at once in a process pool; each process gets
            ``cores // n_jobs`` BLAS / OpenMP threads unless ``OMP_NUM_THREADS`` or
            the like is set. The processes stay warm for the next search with the same
            ``n_jobs`` (``HYPERFLOW_POOL_IDLE_S``, default 300 s; ``0``: no warm
            workers). With ``executor``: trials kept in flight on it (default: this
            machine's cores).
        executor: any ``concurrent.futures.Executor`` (a Dask client's too).
        study: a name makes the study durable in the store's database and resumable.
        storage: an Optuna storage or URL (default: the hyperflow store's database).
        metrics: the output holding the metrics (``dict[str, float]``); default:
            ``"metrics"``, or the pipeline's only final output.
        keep: extra outputs stored with every trial's tracked run (e.g. ``["model"]``).
        fixed: config keys held constant (not searched).
        grid: explicit grid values per key for ``sampler="grid"``.
        timeout: stop starting new trials after this many seconds.
        cache, track: as in ``Pipeline.run``.
        progress: show a rich progress bar (default: only in a terminal).
        pruner: stops unpromising trials from what their nodes report with
            ``hf.report(value, step)``: ``"median"``, ``"hyperband"``,
            ``"successive_halving"``, an Optuna pruner, or ``None`` (never prune; reports
            of trials in this process are still kept as intermediate values).
        warm_start: configs tried first: a study's name (its best complete trials, up to
            ``WARM_TOP``, from ``storage`` or the store's database), tracked run ids (their
            configs), or config dicts. A re-search after retraining starts from the best.
        stop_when: a ``StopWhen`` (or a dict of its fields) that ends the search early:
            no improvement in N trials, an objective reached, a time or cost budget.
            ``Study.stop_reason`` says why a search ended early.
        fidelity: a ``Fidelity(input, values)``: each trial runs at the first value of
            that input, reports its objective, and runs at the next value only while the
            pruner keeps it (default pruner then: ``"successive_halving"``, sized to the
            values; ``"hyperband"`` likewise).

    Returns:
        A ``Study``: ``best``, ``trials``, ``pareto_front()``, ``trials_dataframe()``,
        ``summary()``.
    """
    import optuna

    goal = Objective.coerce(objective)
    fixed_cfg = _validated_fixed(pipeline, fixed)
    if fidelity is not None:
        inputs = {**(inputs or {}), fidelity.input: fidelity.values[-1]}
        pruner = pruner or "successive_halving"
    metrics_out = _metrics_output(pipeline, metrics, keep, inputs)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler_obj, enqueue = build_sampler(sampler, seed, goal, pipeline, grid, fixed_cfg)
    if n_trials is None:
        if not enqueue:
            raise OptimizeError("n_trials=None needs sampler='grid' (one trial per grid point)")
        n_trials = len(enqueue)
    name = study or f"{pipeline.name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    rules = _rules(stop_when, goal)
    storage_obj = open_storage(storage, study is not None)
    named = study is not None or storage is not None or not isinstance(warm_start, str)
    warm = warm_configs(
        warm_start, pipeline, storage_obj if named else open_storage(None, named=True), track
    )
    pruner_obj = (fidelity and fidelity_pruner(pruner, fidelity)) or build_pruner(pruner)
    ostudy = _open_study(name, storage_obj, sampler_obj, pruner_obj, goal)
    enqueue_warm(ostudy, warm, fixed_cfg)
    result = _prepared_study(ostudy, sampler_obj, goal, pipeline, enqueue, fixed_cfg)
    own_pool = acquire_pool(n_jobs, pipeline) if executor is None and n_jobs > 1 else None
    pool = executor or own_pool
    base = TrialSpec(
        pipeline=pipeline,
        inputs=dict(inputs or {}),
        config={},
        metrics=metrics_out,
        keep=tuple(keep),
        cache=cache,
        track=track,
        tags={"hyperflow.study": name},
        fidelity=fidelity,
        rung_value=None if goal.multi else goal.expressions[0],
        single_flight=pool is not None,
    )
    search = Search(
        study=result,
        base=base,
        fixed=fixed_cfg,
        n_trials=n_trials,
        executor=pool,
        parallel=_in_flight(pool, n_jobs),
        deadline=None if timeout is None else time.monotonic() + timeout,
        bar=TrialProgress(progress, n_trials, name),
        stop=StopTracker(rules, goal.directions[0] == "maximize", _best_value(result)),
    )
    _run(search, own_pool, with_reports=pool is not None and pruner is not None)
    return result


def _run(search: Search, own_pool: Executor | None, *, with_reports: bool) -> None:
    """Run the search (worker reports served when a pruner reads them); record why it
    ended; hand its pool back warm when every trial ended (else shut it down)."""
    search.reports = ReportService() if with_reports else None
    clean = False
    try:
        search.study.stop_reason = run_search(search)
        clean = True
        search.ostudy.set_user_attr("hf_stop_reason", search.study.stop_reason)
    finally:
        if search.reports is not None:
            search.reports.close()
        if own_pool is not None:
            release_pool(own_pool, clean=clean)


def _rules(stop_when: StopSpec, goal: Objective) -> StopWhen | None:
    """The stop rules; value rules need a single objective."""
    rules = StopWhen.coerce(stop_when)
    if rules is not None and goal.multi and (rules.no_improvement or rules.reached is not None):
        raise OptimizeError(
            "stop_when no_improvement / reached need a single objective; this one has "
            f"{len(goal.directions)}: use seconds= or cost= budgets instead"
        )
    return rules


def _best_value(study: Study) -> float | None:
    """The study's best objective so far (single objective), for stop rules."""
    if study.objective.multi or not study.earlier:
        return None
    try:
        return study.best.value
    except OptimizeError:
        return None


def _in_flight(pool: Executor | None, n_jobs: int) -> int:
    """Trials kept running at once: 1 here; on an executor ``n_jobs``, or the core count."""
    if pool is None:
        return 1
    return n_jobs if n_jobs > 1 else cpus()


def _prepared_study(
    ostudy: optuna.Study,
    sampler: BaseSampler,
    objective: Objective,
    pipeline: Pipeline,
    enqueue: list[dict[str, Any]],
    fixed: dict[str, Any],
) -> Study:
    """The opened study tagged, and its grid points queued."""
    import optuna

    ostudy.set_user_attr("hf_pipeline", pipeline.name)
    ostudy.set_user_attr("hf_objective", repr(objective))
    result = Study(ostudy, objective, pipeline.name, earlier=_settled(ostudy))
    if enqueue and not isinstance(sampler, optuna.samplers.GridSampler):  # conditional grid
        _enqueue(ostudy, enqueue, fixed)
    return result


def _validated_fixed(pipeline: Pipeline, fixed: Mapping[str, Any] | None) -> dict[str, Any]:
    """``fixed`` as a dict, every key and value checked against the space."""
    fixed_cfg = dict(fixed or {})
    for key in fixed_cfg:
        pipeline.space[key].domain.check(fixed_cfg[key], key=key)
    return fixed_cfg


def _metrics_output(
    pipeline: Pipeline,
    metrics: str | None,
    keep: Sequence[str],
    inputs: Mapping[str, Any] | None,
) -> str:
    """The output the metrics are read from; fails now on missing inputs or bad outputs."""
    if metrics is None:
        single = len(pipeline.sinks) == 1 and "metrics" not in pipeline.outputs
        metrics = pipeline.sinks[0] if single else "metrics"
    if metrics not in pipeline.outputs:
        raise OptimizeError(
            f"pipeline {pipeline.name!r} has no output {metrics!r} to read metrics from; "
            f"pass metrics=<one of {list(pipeline.outputs)}>"
        )
    pipeline.plan(None, [metrics, *keep], dict(inputs or {}))
    return metrics


def _open_study(
    name: str,
    storage: BaseStorage,
    sampler: BaseSampler,
    pruner: BasePruner,
    objective: Objective,
) -> optuna.Study:
    """Create the study, or load it when it exists with the same directions (abandoned
    trials recovered)."""
    import optuna

    directions = [optuna.study.StudyDirection[d.upper()] for d in objective.directions]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        ostudy = optuna.create_study(
            study_name=name,
            storage=storage,
            sampler=sampler,
            pruner=pruner,
            directions=directions,
            load_if_exists=True,
        )
    existing = [d.name.lower() for d in ostudy.directions]
    if existing != objective.directions:
        raise OptimizeError(
            f"study {name!r} exists with directions {existing}, but the objective has "
            f"{objective.directions}; use another study name"
        )
    recover_abandoned(ostudy)
    return ostudy


def _settled(ostudy: optuna.Study) -> int:
    """Trials the study holds that are not waiting to run."""
    import optuna

    waiting = optuna.trial.TrialState.WAITING
    return sum(t.state != waiting for t in ostudy.get_trials(deepcopy=False))


def _enqueue(ostudy: optuna.Study, configs: list[dict[str, Any]], fixed: dict[str, Any]) -> None:
    """Queue each configuration the study has not seen (a grid over a conditional space)."""
    seen = {tuple(sorted(t.params.items())) for t in ostudy.get_trials(deepcopy=False)}
    for cfg in configs:
        params = {k: v for k, v in cfg.items() if k not in fixed}
        if tuple(sorted(params.items())) not in seen:
            ostudy.enqueue_trial(params, skip_if_exists=True)

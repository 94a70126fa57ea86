"""The search loop: Optuna asks, hyperflow runs the pipeline, Optuna is told.

Trials run in this process, or concurrently on any ``concurrent.futures``
executor (``n_jobs=`` makes a process pool; a Dask ``Client.get_executor()``
works the same). Every trial is a tracked pipeline run that shares the
content-addressed cache, so unchanged upstream nodes are not recomputed.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from pathlib import Path
from typing import Any

from hyperflow._errors import OptimizeError
from hyperflow.core import Pipeline
from hyperflow.optimize._objective import Objective
from hyperflow.optimize._space import grid_of, suggest_config
from hyperflow.optimize._study import Study
from hyperflow.optimize._trial import TrialOutcome, run_trial

__all__ = ["optimize", "storage_url"]

log = logging.getLogger("hyperflow.optimize")
SAMPLERS = ("tpe", "random", "grid", "nsga2", "cmaes", "qmc")


def storage_url() -> str:
    """The metadata store's database URL, where named studies are kept (resolved now)."""
    from hyperflow.store import resolve_store_url

    return resolve_store_url()


def _storage(storage: Any, named: bool) -> Any:
    import optuna

    if storage is None and not named:
        return optuna.storages.InMemoryStorage()
    if storage is None:
        storage = storage_url()
    if isinstance(storage, str):
        if storage.startswith("sqlite:///"):
            path = storage[len("sqlite:///") :]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            return optuna.storages.RDBStorage(
                storage, engine_kwargs={"connect_args": {"timeout": 60}}
            )
        return optuna.storages.RDBStorage(storage)
    return storage


# what BLAS / OpenMP libraries read for their thread count when they load
_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _limit_native_threads(n: int) -> None:
    """Trial-process initializer: at most ``n`` BLAS / OpenMP threads in this process.

    Each of ``n_jobs`` processes would otherwise start one native thread per
    core, and oversubscribed BLAS threads spin against each other (a 6x
    slow-down was measured on 2 cores). Variables the user set are respected.
    """
    if any(var in os.environ for var in _THREAD_VARS):
        return
    for var in _THREAD_VARS:  # libraries loaded from now on
        os.environ[var] = str(n)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n)  # libraries already loaded (numpy's, by the user's main module)


def _process_pool(n_jobs: int) -> Executor:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        n_jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_limit_native_threads,
        initargs=(max(1, _cpus() // n_jobs),),
    )


def _constraints(frozen: Any) -> list[float]:
    return list(frozen.user_attrs.get("hf_constraints") or [])


def _sampler(
    sampler: Any,
    seed: int | None,
    objective: Objective,
    pipeline: Pipeline,
    grid: dict[str, list[Any]] | None,
    fixed: dict[str, Any],
) -> tuple[Any, list[dict[str, Any]]]:
    import optuna

    if not isinstance(sampler, str):
        return sampler, []
    import optuna.trial as ot

    # Optuna >= 5 reads constraints set on the trial (Trial.set_constraint);
    # older versions need constraints_func on the sampler
    native = hasattr(ot.Trial, "set_constraint")
    cf = _constraints if objective.constraints and not native else None
    if sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed, constraints_func=cf), []
    if sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed), []
    if sampler == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, constraints_func=cf), []
    if sampler == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed), []
    if sampler == "qmc":
        return optuna.samplers.QMCSampler(seed=seed), []
    if sampler == "grid":
        full, distinct = grid_of(pipeline.space, grid, fixed)
        size = 1
        for values in full.values():
            size *= len(values)
        if size == len(distinct):
            return _grid_sampler(full, seed), distinct
        # conditional space: grid points differing only in inactive keys repeat;
        # enqueue each distinct configuration once instead
        return optuna.samplers.RandomSampler(seed=seed), distinct
    raise OptimizeError(
        f"unknown sampler {sampler!r}; use one of {', '.join(SAMPLERS)} or an optuna sampler"
    )


def _grid_sampler(grid: dict[str, list[Any]], seed: int | None) -> Any:
    """Optuna's GridSampler, minus its ``study.stop()`` when the grid is exhausted.

    That call only works inside ``study.optimize``; the ask/tell loop here counts
    trials itself, so the stop is not needed.
    """
    import optuna

    class AskTellGridSampler(optuna.samplers.GridSampler):
        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            try:
                super().after_trial(study, trial, state, values)
            except RuntimeError as exc:
                if "Study.stop" not in str(exc):
                    raise

    return AskTellGridSampler(grid, seed=seed)


def _recover_abandoned(study: Any) -> int:
    """Mark trials left RUNNING by a dead process of this host as failed, with the reason."""
    import optuna

    from hyperflow.tracking import owner_alive

    n = 0
    now = time.time()
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        pid = t.user_attrs.get("hf_pid")
        host = t.user_attrs.get("hf_host")
        if isinstance(pid, int) and not owner_alive(host, pid, None, now):
            study._storage.set_trial_user_attr(
                t._trial_id,
                "hf_error",
                f"abandoned: process {pid} died while running it",
            )
            study.tell(t.number, state=optuna.trial.TrialState.FAIL)
            n += 1
    return n


class _Progress:
    def __init__(self, enabled: bool | None, total: int, name: str) -> None:
        from rich.console import Console

        console = Console(stderr=True)
        self.enabled = console.is_terminal if enabled is None else enabled
        self.bar: Any = None
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self.bar = Progress(
                "[bold]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                "{task.fields[best]}",
                console=console,
                transient=False,
            )
            self.task = self.bar.add_task(f"study {name}", total=total, best="")
            self.bar.start()

    def update(self, best: str) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=1, best=best)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def optimize(
    pipeline: Pipeline,
    *,
    objective: Objective | str,
    inputs: Mapping[str, Any] | None = None,
    n_trials: int | None = 20,
    sampler: Any = "tpe",
    seed: int | None = None,
    n_jobs: int = 1,
    executor: Executor | None = None,
    study: str | None = None,
    storage: Any = None,
    metrics: str | None = None,
    keep: Sequence[str] = (),
    fixed: Mapping[str, Any] | None = None,
    grid: dict[str, list[Any]] | None = None,
    timeout: float | None = None,
    cache: Any = None,
    track: Any = None,
    progress: bool | None = None,
) -> Study:
    """Search ``pipeline.space`` for the config that optimizes ``objective``.

    Args:
        objective: an ``hf.Objective`` (or an expression string to maximize).
        inputs: the pipeline's inputs, the same for every trial.
        n_trials: trials to run now (on an existing study: this many more). With
            ``sampler="grid"`` and ``None``: one trial per distinct configuration.
        sampler: ``"tpe"``, ``"random"``, ``"grid"``, ``"nsga2"``, ``"cmaes"``,
            ``"qmc"``, or any Optuna sampler instance.
        seed: seeds the sampler: same seed, sampler and data give the same configs.
        n_jobs: trials at once in a process pool (ignored when ``executor`` is given);
            each process gets ``cores // n_jobs`` BLAS / OpenMP threads unless
            ``OMP_NUM_THREADS`` or the like is set.
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

    Returns:
        A ``Study``: ``best``, ``trials``, ``pareto_front()``, ``trials_dataframe()``.
    """
    import optuna

    objective = Objective.coerce(objective)
    fixed_cfg = dict(fixed or {})
    for key in fixed_cfg:
        pipeline.space[key].domain.check(fixed_cfg[key], key=key)
    if metrics is None:
        metrics = (
            "metrics"
            if "metrics" in pipeline.outputs or len(pipeline.sinks) != 1
            else (pipeline.sinks[0])
        )
    if metrics not in pipeline.outputs:
        raise OptimizeError(
            f"pipeline {pipeline.name!r} has no output {metrics!r} to read metrics from; "
            f"pass metrics=<one of {list(pipeline.outputs)}>"
        )
    inputs = dict(inputs or {})
    pipeline.plan(None, [metrics, *keep], inputs)  # fail now on missing inputs / bad outputs
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler_obj, enqueue = _sampler(sampler, seed, objective, pipeline, grid, fixed_cfg)
    if n_trials is None:
        if not enqueue:
            raise OptimizeError("n_trials=None needs sampler='grid' (one trial per grid point)")
        n_trials = len(enqueue)
    name = study or f"{pipeline.name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        ostudy = optuna.create_study(
            study_name=name,
            storage=_storage(storage, study is not None),
            sampler=sampler_obj,
            directions=list(objective.directions),  # type: ignore[arg-type]
            load_if_exists=True,
        )
    existing = [d.name.lower() for d in ostudy.directions]
    if existing != objective.directions:
        raise OptimizeError(
            f"study {name!r} exists with directions {existing}, but the objective has "
            f"{objective.directions}; use another study name"
        )
    ostudy.set_user_attr("hf_pipeline", pipeline.name)
    ostudy.set_user_attr("hf_objective", repr(objective))
    recovered = _recover_abandoned(ostudy)
    if recovered:
        log.warning("study %s: %d abandoned trial(s) marked failed", name, recovered)
    if enqueue and not isinstance(sampler_obj, optuna.samplers.GridSampler):  # conditional grid
        seen = {tuple(sorted(t.params.items())) for t in ostudy.get_trials(deepcopy=False)}
        for cfg in enqueue:
            params = {k: v for k, v in cfg.items() if k not in fixed_cfg}
            if tuple(sorted(params.items())) not in seen:
                ostudy.enqueue_trial(params, skip_if_exists=True)
    result = Study(ostudy, objective, pipeline.name)
    own_pool: Executor | None = None
    if executor is None and n_jobs > 1:
        own_pool = executor = _process_pool(n_jobs)
    parallel = 1 if executor is None else max(n_jobs, _workers(executor))
    bar = _Progress(progress, n_trials, name)
    tags = {"hyperflow.study": name}
    deadline = None if timeout is None else time.monotonic() + timeout
    host = socket.gethostname()
    running: dict[Future[TrialOutcome], Any] = {}
    started = finished = 0
    try:
        while finished < n_trials:
            while (
                started < n_trials
                and len(running) < parallel
                and (deadline is None or time.monotonic() < deadline)
            ):
                trial = ostudy.ask()
                config = pipeline.space.resolve(suggest_config(trial, pipeline.space, fixed_cfg))
                trial.set_user_attr("hf_config", config)
                trial.set_user_attr("hf_host", host)
                trial.set_user_attr("hf_pid", os.getpid())
                args = (
                    pipeline,
                    inputs,
                    config,
                    metrics,
                    tuple(keep),
                    cache,
                    track,
                    {**tags, "hyperflow.trial": str(trial.number)},
                )
                started += 1
                if executor is None:
                    _tell(ostudy, trial, run_trial(*args), objective)
                    finished += 1
                    bar.update(_best_text(result))
                else:
                    running[executor.submit(run_trial, *args)] = trial
            if not running:
                if started < n_trials and deadline is not None and time.monotonic() >= deadline:
                    break
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                trial = running.pop(fut)
                try:
                    outcome = fut.result()
                except Exception as exc:  # the worker itself broke (e.g. pickling)
                    outcome = TrialOutcome(None, None, 0.0, error=f"{type(exc).__name__}: {exc}")
                _tell(ostudy, trial, outcome, objective)
                finished += 1
                bar.update(_best_text(result))
    finally:
        for fut in running:
            fut.cancel()
        bar.close()
        if own_pool is not None:
            own_pool.shutdown(wait=True, cancel_futures=True)
    return result


def _workers(executor: Executor) -> int:
    n = getattr(executor, "_max_workers", None)
    if isinstance(n, int):
        return n
    client = getattr(executor, "_client", None)
    if client is not None:
        try:
            return max(1, int(sum(client.nthreads().values())))
        except Exception:  # pragma: no cover - a client without nthreads
            return 2
    return os.cpu_count() or 2


def _tell(ostudy: Any, trial: Any, outcome: TrialOutcome, objective: Objective) -> None:
    import optuna

    state = optuna.trial.TrialState
    if outcome.run_id:
        trial.set_user_attr("hf_run_id", outcome.run_id)
    if outcome.pid:
        trial.set_user_attr("hf_worker_pid", outcome.pid)
    if outcome.cache_hits:
        trial.set_user_attr("hf_cache_hits", outcome.cache_hits)
    if outcome.metrics is None:
        trial.set_user_attr("hf_error", outcome.error or "unknown error")
        ostudy.tell(trial, state=state.PRUNED if outcome.pruned else state.FAIL)
        log.warning(
            "trial %d %s: %s", trial.number, "pruned" if outcome.pruned else "failed", outcome.error
        )
        return
    trial.set_user_attr("hf_metrics", outcome.metrics)
    try:
        values = objective.values(outcome.metrics)
        violations = objective.violations(outcome.metrics)
    except OptimizeError as exc:
        trial.set_user_attr("hf_error", str(exc))
        ostudy.tell(trial, state=state.FAIL)
        raise
    trial.set_user_attr("hf_constraints", violations)
    if hasattr(trial, "set_constraint"):
        for constraint, violation in zip(objective.constraints, violations, strict=True):
            trial.set_constraint(constraint.text, violation)
    ostudy.tell(trial, values if len(values) > 1 else values[0])


def _best_text(study: Study) -> str:
    if study.objective.multi:
        return f"pareto {len(study.pareto_front())}"
    try:
        return f"best {study.best.value:.4g}"
    except OptimizeError:
        return "no feasible trial yet"

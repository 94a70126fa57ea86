"""The trial process pool (``n_jobs=``), and a progress bar for the search loop.

Spawned trial processes pay their start-up once (the interpreter, hyperflow, the
pipeline's modules and what its nodes import, e.g. scikit-learn: seconds on a loaded
machine), so the pool outlives an ``optimize()`` call: the next call with the same
``n_jobs`` finds its workers warm (see :mod:`hyperflow.optimize._workers`).
"""

from __future__ import annotations

import os
from concurrent.futures import Executor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["TrialProgress", "cpus", "process_pool", "threads_per_worker"]

# what BLAS / OpenMP libraries read for their thread count when they load
_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def cpus() -> int:
    """Cores this process may run on."""
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


def threads_per_worker(n_jobs: int) -> int:
    """BLAS / OpenMP threads each of ``n_jobs`` trial processes may use."""
    return max(1, cpus() // n_jobs)


def process_pool(n_jobs: int) -> Executor:
    """``n_jobs`` spawned trial processes sharing the cores' BLAS / OpenMP threads."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        n_jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_limit_native_threads,
        initargs=(threads_per_worker(n_jobs),),
    )


class TrialProgress:
    """A rich progress bar of finished trials with the best value so far (or nothing)."""

    def __init__(self, enabled: bool | None, total: int, name: str) -> None:
        from rich.console import Console

        console = Console(stderr=True)
        self.enabled = console.is_terminal if enabled is None else enabled
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.pruned = 0
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
            from rich.markup import escape

            self.task = self.bar.add_task(escape(f"study {name}"), total=total, best="")
            self.bar.start()

    def update(self, best: str, *, pruned: bool = False) -> None:
        """One more trial finished; ``best`` is the best-so-far text, pruned ones counted."""
        self.pruned += pruned
        if self.pruned:
            best = f"{best} · {self.pruned} pruned"
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, advance=1, best=best)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()

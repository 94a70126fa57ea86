"""``hf.report(value, step)``: intermediate results of a trial, fed to Optuna's pruner.

Inside a trial, ``run_trial`` installs a reporter for the running trial (a context
variable, so concurrent trials on threads do not mix). In this process the reporter
talks to the Optuna trial directly; in a worker process it sends each report to the
search loop through a ``multiprocessing`` manager queue and waits for the answer
(``ReportService``, a thread of the loop's process that reports to the trial and asks
the pruner). Outside a trial ``hf.report`` does nothing.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import warnings
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from hyperflow._errors import OptimizeError

if TYPE_CHECKING:
    import optuna
    from optuna.pruners import BasePruner

__all__ = [
    "PRUNERS",
    "LocalReporter",
    "QueueReporter",
    "ReportService",
    "Reporter",
    "build_pruner",
    "pruned_error",
    "report",
    "reporting",
]

PRUNERS = ("median", "hyperband", "successive_halving", "none")
_REPLY_TIMEOUT_S = 600.0  # the loop answers at once; this only guards a dead loop


class Reporter(Protocol):
    """Where a trial's reports go; returns whether the pruner says stop."""

    def __call__(self, value: float, step: int) -> bool: ...


_CURRENT: ContextVar[Reporter | None] = ContextVar("hyperflow_reporter", default=None)


def report(value: float, step: int) -> None:
    """Report an intermediate result of the running trial (a no-op outside a search).

    Call it from any node, e.g. once per epoch with the validation score. When the
    study's pruner (``optimize(..., pruner="median" | "hyperband" | ...)``) decides the
    trial is not promising, this raises ``optuna.TrialPruned``: the trial stops at
    once, its unfinished node is not cached, and it is kept as ``pruned`` with its
    last reported value.

    Args:
        value: the intermediate objective value (in the study's direction).
        step: the step it belongs to (epoch, rung, fold, rows used); increasing.
    """
    reporter = _CURRENT.get()
    if reporter is None:
        return
    number = float(value)
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise OptimizeError(f"hf.report step must be an int >= 0, got {step!r}")
    if reporter(number, step):
        raise pruned_error(f"pruned at step {step} (reported {number:.6g})", number, step)


def pruned_error(message: str, value: float, step: int) -> optuna.TrialPruned:
    """Optuna's ``TrialPruned`` carrying the last report, which the trial's tracked run
    keeps (it ends ``pruned`` with ``metrics.report`` = ``value`` at ``step``)."""
    import optuna

    from hyperflow.tracking._pruned import PRUNED_REPORT_ATTR

    exc = optuna.TrialPruned(message)
    setattr(exc, PRUNED_REPORT_ATTR, (step, value))
    return exc


@contextlib.contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Route ``hf.report`` calls made inside the block to ``reporter``."""
    token = _CURRENT.set(reporter)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def _report_to(trial: optuna.Trial, value: float, step: int) -> bool:
    """Report ``value`` at ``step`` on ``trial``; whether the pruner says stop."""
    if not math.isfinite(value):
        return False  # Optuna's pruners ignore NaN; infinity would poison the median
    with warnings.catch_warnings():  # a step reported twice keeps its first value
        warnings.simplefilter("ignore", UserWarning)
        try:
            trial.report(value, step)
        except NotImplementedError:  # several objectives: Optuna does not prune those
            return False
    return trial.should_prune()


class LocalReporter:
    """Reports of a trial that runs in the search loop's process."""

    def __init__(self, trial: optuna.Trial) -> None:
        self.trial = trial

    def __call__(self, value: float, step: int) -> bool:
        return _report_to(self.trial, value, step)


@dataclass(frozen=True)
class QueueReporter:
    """Reports of a trial in a worker process: sent to the loop's ``ReportService``."""

    number: int
    requests: Any  # a manager Queue proxy (picklable to spawned workers)
    replies: Any

    def __call__(self, value: float, step: int) -> bool:
        self.requests.put((self.number, value, step))
        try:
            answer = self.replies.get(timeout=_REPLY_TIMEOUT_S)
        except queue.Empty:
            raise OptimizeError(
                f"trial {self.number}: the search loop did not answer hf.report in "
                f"{_REPLY_TIMEOUT_S:.0f} s"
            ) from None
        return bool(answer)


class ReportService:
    """The loop's side of worker reports: a manager's queues and a thread answering them."""

    def __init__(self) -> None:
        import multiprocessing

        self._manager = multiprocessing.get_context("spawn").Manager()
        self._requests: Any = self._manager.Queue()
        self._trials: dict[int, tuple[optuna.Trial, Any]] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="hf-reports", daemon=True)
        self._thread.start()

    def reporter(self, trial: optuna.Trial) -> QueueReporter:
        replies = self._manager.Queue()
        with self._lock:
            self._trials[trial.number] = (trial, replies)
        return QueueReporter(trial.number, self._requests, replies)

    def forget(self, number: int) -> None:
        with self._lock:
            self._trials.pop(number, None)

    def _serve(self) -> None:
        while True:
            try:
                item = self._requests.get()
            except (EOFError, OSError):  # the manager is gone: the service is closed
                return
            if item is None:
                return
            number, value, step = item
            with self._lock:
                entry = self._trials.get(number)
            if entry is None:
                continue
            try:
                answer = _report_to(entry[0], value, step)
            except Exception:  # a finished trial, a storage hiccup: do not stop the trial
                answer = False
            entry[1].put(answer)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._requests.put(None)
        self._thread.join(timeout=10)
        self._manager.shutdown()


def build_pruner(pruner: str | BasePruner | None) -> BasePruner:
    """The Optuna pruner for ``pruner=`` (``None``: never prune)."""
    import optuna

    if pruner is None or pruner == "none":
        return optuna.pruners.NopPruner()
    if not isinstance(pruner, str):
        return pruner
    if pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)
    if pruner == "hyperband":
        return optuna.pruners.HyperbandPruner()
    if pruner == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    import difflib

    close = difflib.get_close_matches(pruner, PRUNERS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise OptimizeError(
        f"unknown pruner {pruner!r}{hint}; use one of {', '.join(PRUNERS)} or an optuna pruner"
    )

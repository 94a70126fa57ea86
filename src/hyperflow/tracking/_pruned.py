"""Runs a search's pruner stopped: recognizing the pruning, and what is kept of it."""

from __future__ import annotations

__all__ = ["PRUNED_METRIC", "PRUNED_REPORT_ATTR", "pruned_by"]

#: attribute of a pruning exception: ``(step, value)``, the trial's last ``hf.report``
PRUNED_REPORT_ATTR = "hf_report"
#: the metric a pruned run's last reported value is logged under (at its step)
PRUNED_METRIC = "report"


def pruned_by(error: BaseException | None) -> BaseException | None:
    """The pruning exception (Optuna's ``TrialPruned``) in ``error``'s chain, if any.

    Recognized by its class (tracking does not import Optuna: layers point down).
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        for cls in type(error).__mro__:
            if cls.__name__ == "TrialPruned" and cls.__module__.startswith("optuna"):
                return error
        error = error.__cause__
    return None

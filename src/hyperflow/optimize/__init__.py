"""Metric-driven search over a pipeline's whole space (variants and parameters) on Optuna."""

from hyperflow.optimize._fidelity import Fidelity
from hyperflow.optimize._folds import Fold, folds
from hyperflow.optimize._objective import (
    MAX_EXPRESSION_CHARS,
    MAX_EXPRESSION_DEPTH,
    Constraint,
    Evaluation,
    Expression,
    Objective,
)
from hyperflow.optimize._optimize import optimize
from hyperflow.optimize._report import PRUNERS, report
from hyperflow.optimize._sampler import storage_url
from hyperflow.optimize._space import grid_of, suggest_config
from hyperflow.optimize._stop import StopWhen
from hyperflow.optimize._study import Study, StudySummary, TrialResult, TrialState
from hyperflow.optimize._warm import WARM_TOP

__all__ = [
    "MAX_EXPRESSION_CHARS",
    "MAX_EXPRESSION_DEPTH",
    "PRUNERS",
    "WARM_TOP",
    "Constraint",
    "Evaluation",
    "Expression",
    "Fidelity",
    "Fold",
    "Objective",
    "StopWhen",
    "Study",
    "StudySummary",
    "TrialResult",
    "TrialState",
    "folds",
    "grid_of",
    "optimize",
    "report",
    "storage_url",
    "suggest_config",
]

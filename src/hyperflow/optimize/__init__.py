"""Metric-driven search over a pipeline's whole space (variants and parameters) on Optuna."""

from hyperflow.optimize._objective import Constraint, Expression, Objective
from hyperflow.optimize._optimize import optimize, storage_url
from hyperflow.optimize._space import grid_of, suggest_config
from hyperflow.optimize._study import Study, TrialResult

__all__ = [
    "Constraint",
    "Expression",
    "Objective",
    "Study",
    "TrialResult",
    "grid_of",
    "optimize",
    "storage_url",
    "suggest_config",
]

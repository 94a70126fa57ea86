"""Checks a model must pass before it ships: behavioural tests and data validation.

Behavioural tests after CheckList (Ribeiro et al., 2020): :func:`mft` (simple
cases the model must get right), :func:`invariance` (label-preserving
perturbations must not change the output) and :func:`directional` (a
perturbation must move the output one way), grouped in a :class:`Suite` and
run against any predictor. Perturbations live in :mod:`hyperflow.testing.perturb`.
Data validation on pandera: :func:`infer_schema` and :func:`validate`. Model
sanity: :func:`check_output`, :func:`loss_decreases`, :func:`overfits_tiny_batch`.
Fairness across groups (Fairlearn): :func:`fairness`.

Example:
    >>> import pandas as pd
    >>> import hyperflow as hf
    >>> rows = pd.DataFrame({"rain_mm": [0.0, 5.0, 20.0], "wind": [1.0, 3.0, 2.0]})
    >>> def predictor(df):
    ...     return ["rain" if r > 1 else "sun" for r in df["rain_mm"]]
    >>> suite = hf.testing.Suite("weather", [
    ...     hf.testing.mft([({"rain_mm": 30.0, "wind": 2.0}, "rain")]),
    ...     hf.testing.invariance(rows, hf.testing.perturb.noise("wind", scale=0.05)),
    ... ])
    >>> suite.run(predictor).passed
    True
"""

from hyperflow.testing import perturb
from hyperflow.testing._behaviour import (
    BehaviourTest,
    Directional,
    Invariance,
    MinimumFunctionality,
)
from hyperflow.testing._fairness import FairnessResult, GroupMetrics, fairness
from hyperflow.testing._predict import from_sklearn
from hyperflow.testing._result import Failure, SuiteResult, TestResult
from hyperflow.testing._sanity import (
    SanityResult,
    check_output,
    loss_decreases,
    overfits_tiny_batch,
)
from hyperflow.testing._schema import infer_schema, validate
from hyperflow.testing._suite import Suite, assert_suite, directional, invariance, load_suite, mft

__all__ = [
    "BehaviourTest",
    "Directional",
    "Failure",
    "FairnessResult",
    "GroupMetrics",
    "Invariance",
    "MinimumFunctionality",
    "SanityResult",
    "Suite",
    "SuiteResult",
    "TestResult",
    "assert_suite",
    "check_output",
    "directional",
    "fairness",
    "from_sklearn",
    "infer_schema",
    "invariance",
    "load_suite",
    "loss_decreases",
    "mft",
    "overfits_tiny_batch",
    "perturb",
    "validate",
]

"""hyperflow: plain Python functions from notebook to optimized production.

Example:
    >>> import hyperflow as hf
    >>> def double(x: int) -> int:
    ...     return 2 * x
    >>> hf.Pipeline([double], name="demo").run(inputs={"x": 2}, track=False)["double"]
    4
"""

import importlib
from typing import TYPE_CHECKING

from hyperflow._errors import (
    CacheError,
    CliError,
    ConfigError,
    ConfigWarning,
    CycleError,
    DefinitionError,
    DeployError,
    DuplicateOutputError,
    FingerprintError,
    HyperflowError,
    InputError,
    IntegrityError,
    MonitorError,
    NestingError,
    NodeCheckError,
    NodeError,
    OptimizeError,
    PredictionInputError,
    ProjectError,
    QueryError,
    RefError,
    RegistryError,
    ServeError,
    SpaceError,
    StoreError,
    TestingError,
    TrackingError,
    TypeMismatchError,
    VizError,
)
from hyperflow.core import Batching, Bool, Choice, Float, Int, Pipeline, SearchSpace, Service, node
from hyperflow.engine import RunHook, RunResult
from hyperflow.optimize import Fold, Objective, Study, folds, report

if TYPE_CHECKING:
    from hyperflow import deploy, monitor, predictions, registry, serve, testing, ui, viz
    from hyperflow.registry import ServiceState
    from hyperflow.tracking import runs, start_run

__version__ = "0.1.0"


__all__ = [
    "Batching",
    "Bool",
    "CacheError",
    "Choice",
    "CliError",
    "ConfigError",
    "ConfigWarning",
    "CycleError",
    "DefinitionError",
    "DeployError",
    "DuplicateOutputError",
    "FingerprintError",
    "Float",
    "Fold",
    "HyperflowError",
    "InputError",
    "Int",
    "IntegrityError",
    "MonitorError",
    "NestingError",
    "NodeCheckError",
    "NodeError",
    "Objective",
    "OptimizeError",
    "Pipeline",
    "PredictionInputError",
    "ProjectError",
    "QueryError",
    "RefError",
    "RegistryError",
    "RunHook",
    "RunResult",
    "SearchSpace",
    "ServeError",
    "Service",
    "ServiceState",
    "SpaceError",
    "StoreError",
    "Study",
    "TestingError",
    "TrackingError",
    "TypeMismatchError",
    "VizError",
    "__version__",
    "deploy",
    "folds",
    "monitor",
    "node",
    "predictions",
    "registry",
    "report",
    "runs",
    "serve",
    "start_run",
    "testing",
    "ui",
    "viz",
]


# Layers with heavy dependencies (pandas, SQLAlchemy, FastAPI, ...) load on first use,
# so `import hyperflow` stays fast: attribute -> (module, attribute or None for the module).
_LAZY: dict[str, tuple[str, str | None]] = {
    "runs": ("hyperflow.tracking", "runs"),
    "start_run": ("hyperflow.tracking", "start_run"),
    "testing": ("hyperflow.testing", None),
    "registry": ("hyperflow.registry", None),
    "store": ("hyperflow.store", None),
    "tracking": ("hyperflow.tracking", None),
    "viz": ("hyperflow.viz", None),
    "monitor": ("hyperflow.monitor", None),
    "serve": ("hyperflow.serve", None),
    "deploy": ("hyperflow.deploy", None),
    "predictions": ("hyperflow.predictions", None),
    "ui": ("hyperflow.ui", None),
    "ServiceState": ("hyperflow.registry", "ServiceState"),
}


def __getattr__(name: str) -> object:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'hyperflow' has no attribute {name!r}")
    module = importlib.import_module(target[0])
    value = module if target[1] is None else getattr(module, target[1])
    globals()[name] = value
    return value

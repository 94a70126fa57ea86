"""The exception tree of hyperflow.

Every error hyperflow raises on purpose derives from :class:`HyperflowError`,
so ``except hf.HyperflowError`` catches them all::

    HyperflowError
    ├── SpaceError            a search-space declaration is invalid (also ValueError)
    ├── DefinitionError       a pipeline cannot be built
    │   ├── CycleError            the nodes form a cycle (the path is in the message)
    │   ├── DuplicateOutputError  two producers of one output without variants
    │   ├── TypeMismatchError     producer's return type cannot feed the consumer
    │   └── NestingError          a nested pipeline's mapping names unknown outputs
    ├── ConfigError           a config key is unknown or a value out of its domain
    │                         (also KeyError-free: the message is plain text)
    ├── RefError              a ``module:attr`` reference cannot be imported or found
    ├── ProjectError          ``[tool.hyperflow]`` / ``hyperflow.toml`` is missing or invalid
    ├── CliError              a command-line usage error (bad option values and the like)
    ├── InputError            a run lacks required inputs or asks unknown outputs
    ├── NodeError             a node raised; the original is chained as __cause__
    │   └── NodeCheckError        a node's output failed its declared check
    ├── CacheError            the result cache cannot be used as asked
    │   └── FingerprintError      a value cannot be fingerprinted
    ├── StoreError            metadata or artifact store problems
    │   ├── IntegrityError        an artifact's bytes do not match its hash
    │   └── QueryError            a ``where=``/``order_by=`` expression cannot be parsed
    │                             (also ValueError)
    ├── TrackingError         run tracking misuse (e.g. logging to a closed run)
    ├── OptimizeError         objective/constraint/study problems
    ├── RegistryError         model registry problems
    │   └── PredictionInputError  a row does not match the predict pipeline's inputs
    │                             (also ValueError; ``errors`` lists the fields)
    ├── ServeError            serving set-up problems
    ├── DeployError           a deployment bundle cannot be built as asked
    ├── MonitorError          drift-monitoring misuse
    ├── RetrainError          retraining or the champion/challenger gate cannot run as asked
    ├── TestingError          behavioural test / data validation misuse
    └── VizError              a picture cannot be made as asked (also ValueError)

Warnings are not errors, so they stand outside the tree::

    UserWarning
    └── ConfigWarning         a config key is accepted but has no effect (inactive variant)

Each layer may add subclasses of its own branch.

Every class is defined here and exported as ``hyperflow.<Name>``; ``__module__``
says ``hyperflow`` (as httpx does), so tracebacks show ``hyperflow.NodeError``
and exceptions pickle by that name across processes. A layer that needs a new
kind of error adds a subclass of its branch here, to the tree above, to
``__all__`` and to ``hyperflow/__init__.py`` (``tests/test_errors.py`` checks).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CacheError",
    "CliError",
    "ConfigError",
    "ConfigWarning",
    "CycleError",
    "DefinitionError",
    "DeployError",
    "DuplicateOutputError",
    "FingerprintError",
    "HyperflowError",
    "InputError",
    "IntegrityError",
    "MonitorError",
    "NestingError",
    "NodeCheckError",
    "NodeError",
    "OptimizeError",
    "PredictionInputError",
    "ProjectError",
    "QueryError",
    "RefError",
    "RegistryError",
    "RetrainError",
    "ServeError",
    "SpaceError",
    "StoreError",
    "TestingError",
    "TrackingError",
    "TypeMismatchError",
    "VizError",
]


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Unpickle an error without calling its ``__init__`` (which may take keywords)."""
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class HyperflowError(Exception):
    """Root of every error hyperflow raises on purpose.

    Example:
        >>> import pickle
        >>> import hyperflow as hf
        >>> err = pickle.loads(pickle.dumps(hf.NodeError("node 'a' raised", node="a")))
        >>> type(err).__module__, str(err), err.node
        ('hyperflow', "node 'a' raised", 'a')
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # BaseException pickles as cls(*args), which fails for keyword-only or extra
        # constructor arguments (NodeError's node=); rebuild from args and attributes
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class SpaceError(HyperflowError, ValueError):
    """A search-space declaration (``hf.Int``, ``hf.Float``, ...) is invalid."""


class DefinitionError(HyperflowError):
    """A pipeline cannot be built from the given nodes."""


class CycleError(DefinitionError):
    """The nodes' dependencies form a cycle."""


class DuplicateOutputError(DefinitionError):
    """Two nodes produce the same output and are not declared as variants."""


class TypeMismatchError(DefinitionError):
    """A producer's return annotation cannot feed its consumer's parameter."""


class NestingError(DefinitionError):
    """A nested pipeline's ``inputs=``/``outputs=``/``map_over=`` is inconsistent."""


class ConfigError(HyperflowError):
    """A config key is unknown, or its value has the wrong type or lies outside the key's domain.

    ``key`` names the offending config key (when there is one). ``input_name`` is set
    when the key is really one of the pipeline's inputs: pass it as an input
    (``run(inputs={name: value})``, ``--input name=value``), not as config.
    """

    def __init__(
        self, message: str, *, key: str | None = None, input_name: str | None = None
    ) -> None:
        super().__init__(message)
        self.key = key
        self.input_name = input_name


class ConfigWarning(UserWarning):
    """A config key was accepted but has no effect (e.g. it belongs to an inactive variant)."""


class RefError(HyperflowError):
    """A ``module:attr`` reference cannot be imported or found."""


class ProjectError(HyperflowError):
    """The project configuration is missing or invalid."""


class CliError(HyperflowError):
    """A command-line usage error (bad option values and the like)."""


class InputError(HyperflowError):
    """A run is missing required inputs or requests outputs that do not exist."""


class NodeError(HyperflowError):
    """A node raised while running. ``node`` names it; ``__cause__`` is the original.

    ``result`` holds the partial ``RunResult`` of the failed run (timings of the
    nodes that ran, ``failed_node``): ``e.result.visualize()`` pictures it.
    """

    def __init__(self, message: str, *, node: str) -> None:
        super().__init__(message)
        self.node = node
        self.result: Any = None  # the partial RunResult, set by the engine when a run fails


class NodeCheckError(NodeError):
    """A node's output failed the check declared with ``@hf.node(check=...)``."""


class CacheError(HyperflowError):
    """The result cache cannot be used as asked (bad location, bad argument)."""


class FingerprintError(CacheError):
    """A value has no known layout and cannot be pickled, so it cannot be fingerprinted."""


class StoreError(HyperflowError):
    """The metadata store or artifact store cannot do what was asked."""


class IntegrityError(StoreError):
    """Stored bytes do not match their recorded hash; nothing was deserialized."""


class QueryError(StoreError, ValueError):
    """A ``where`` or ``order_by`` expression cannot be parsed."""


class TrackingError(HyperflowError):
    """Run tracking was used wrongly (e.g. logging to a run that has ended)."""


class OptimizeError(HyperflowError):
    """An objective, constraint or study is invalid."""


class RegistryError(HyperflowError):
    """A model-registry operation is invalid (bad version, unknown alias, ...)."""


class PredictionInputError(RegistryError, ValueError):
    """A row does not match the predict pipeline's input types.

    ``errors`` lists ``{"field": ..., "message": ..., "input": ...}`` entries.
    """

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.errors = errors


class ServeError(HyperflowError):
    """A service cannot be set up as asked."""


class DeployError(HyperflowError):
    """A deployment bundle cannot be built as asked (see ``hyperflow build``)."""


class MonitorError(HyperflowError):
    """Drift monitoring was used wrongly."""


class RetrainError(HyperflowError):
    """Retraining, the gate or a rollout cannot run as asked (e.g. no champion to compare)."""


class TestingError(HyperflowError):
    """A behavioural test suite or a data validation was used wrongly."""

    __test__ = False  # not a pytest test class


class VizError(HyperflowError, ValueError):
    """A picture or plot cannot be made from what was given."""


# Report every class as ``hyperflow.<Name>`` (each is exported there, so pickle finds it).
for _name in __all__:
    globals()[_name].__module__ = "hyperflow"
del _name

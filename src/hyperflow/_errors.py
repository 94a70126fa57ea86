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
    ├── InputError            a run lacks required inputs or asks unknown outputs
    ├── NodeError             a node raised; the original is chained as __cause__
    │   └── NodeCheckError        a node's output failed its declared check
    ├── CacheError            the result cache cannot be used as asked
    │   └── FingerprintError      a value cannot be fingerprinted
    ├── StoreError            metadata or artifact store problems
    │   └── IntegrityError        an artifact's bytes do not match its hash
    ├── TrackingError         run tracking misuse (e.g. logging to a closed run)
    ├── OptimizeError         objective/constraint/study problems
    ├── RegistryError         model registry problems
    ├── ServeError            serving set-up problems
    ├── MonitorError          drift-monitoring misuse
    ├── TestingError          behavioural test / data validation misuse
    └── VizError              a picture cannot be made as asked (also ValueError)

Warnings are not errors, so they stand outside the tree::

    UserWarning
    └── ConfigWarning         a config key is accepted but has no effect (inactive variant)

Each layer may add subclasses of its own branch.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CacheError",
    "ConfigError",
    "ConfigWarning",
    "CycleError",
    "DefinitionError",
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
    "RegistryError",
    "ServeError",
    "SpaceError",
    "StoreError",
    "TestingError",
    "TrackingError",
    "TypeMismatchError",
    "VizError",
]


class HyperflowError(Exception):
    """Root of every error hyperflow raises on purpose."""


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


class TrackingError(HyperflowError):
    """Run tracking was used wrongly (e.g. logging to a run that has ended)."""


class OptimizeError(HyperflowError):
    """An objective, constraint or study is invalid."""


class RegistryError(HyperflowError):
    """A model-registry operation is invalid (bad version, unknown alias, ...)."""


class ServeError(HyperflowError):
    """A service cannot be set up as asked."""


class MonitorError(HyperflowError):
    """Drift monitoring was used wrongly."""


class TestingError(HyperflowError):
    """A behavioural test suite or a data validation was used wrongly."""

    __test__ = False  # not a pytest test class


class VizError(HyperflowError, ValueError):
    """A picture or plot cannot be made from what was given."""

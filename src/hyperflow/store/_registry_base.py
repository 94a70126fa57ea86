"""The contract of the model registry's store, and the records it exchanges.

:class:`RegistryStore` keeps registered model versions, aliases and their
history, and behavioural-suite results. The registry (``hyperflow.registry``)
decides *what* to write (semantic versions, rollback targets, lineage); a
registry store decides *how* it is kept. Every implementation passes the
conformance suite ``RegistryStoreSuite`` (``hyperflow.store._registry_conformance``,
run on SQLite and PostgreSQL by ``tests/store/test_registry_store.py``).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "AliasAction",
    "AliasMove",
    "ModelVersion",
    "NewVersion",
    "RegistryStore",
    "VersionStatus",
]


class VersionStatus(StrEnum):
    """Where a model version stands: ``active`` (servable, ``latest``) or ``archived``."""

    ACTIVE = "active"
    ARCHIVED = "archived"


class AliasAction(StrEnum):
    """What one recorded alias move did."""

    SET = "set"
    ROLLBACK = "rollback"
    REMOVE = "remove"


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model: an inference pipeline plus one run's artifacts.

    Attributes:
        name, version: the model and its semantic version (a string).
        run_id: the run whose artifacts it binds.
        aliases: the aliases pointing at it now (``latest`` included when it is).
        tags, description, status (``active`` or ``archived``), created_at.
        lineage: config, code versions, data fingerprints, metrics, environment and
            artifact hashes of the run.
        predict_ref: ``module:attr`` of the inference pipeline; ``code_version`` its version.
        artifacts: name -> ``{"digest", "format", "size", "type"}``.
    """

    name: str
    version: str
    run_id: str | None
    aliases: list[str]
    tags: dict[str, str]
    lineage: dict[str, Any]
    created_at: float
    predict_ref: str
    code_version: str | None
    artifacts: dict[str, dict[str, Any]]
    metrics: dict[str, float] = field(default_factory=dict)
    description: str | None = None
    status: str = VersionStatus.ACTIVE
    created_by: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.version}"


@dataclass(frozen=True)
class AliasMove:
    """One recorded move of an alias: who, when, from which version to which, and why.

    ``to_version`` is ``None`` when the alias was removed; ``action`` says which
    kind of move it was (set, rollback, remove).
    """

    alias: str
    from_version: str | None
    to_version: str | None
    who: str | None
    at: float
    reason: str | None
    rollback: bool

    @property
    def action(self) -> AliasAction:
        if self.to_version is None:
            return AliasAction.REMOVE
        return AliasAction.ROLLBACK if self.rollback else AliasAction.SET


@dataclass(frozen=True)
class NewVersion:
    """What the registry writes for a new version (the store adds name, version, status, time)."""

    run_id: str | None
    predict_ref: str
    code_version: str | None
    artifacts: Mapping[str, Mapping[str, Any]]
    lineage: Mapping[str, Any]
    metrics: Mapping[str, float]
    tags: Mapping[str, str]
    description: str | None = None
    created_by: str | None = None


VersionChooser = Callable[[str | None], tuple[str, str]]
"""Given the newest version of a model (``None`` if none), the new ``(version, sort_key)``.

``sort_key`` is a string whose lexical order is version precedence.
"""


class RegistryStore(abc.ABC):
    """Where model versions, aliases with their history, and suite results are kept.

    Contract:
        * Safe to use from several threads and processes at once; every write is one
          transaction, committed when the call returns.
        * ``add_version`` chooses the version inside its transaction (``choose`` sees
          the newest version by sort key), so concurrent registrations never collide;
          an existing version raises ``RegistryError``: versions are immutable.
        * ``latest`` is virtual: the active version with the highest sort key. It
          cannot be moved or removed, and appears in ``ModelVersion.aliases``.
        * An alias points at one active version. Every move (set, rollback, removal)
          is recorded, and concurrent moves of one alias are serialized: each
          recorded move starts where the previous one ended.
        * Archiving or deleting a version an alias points at raises ``RegistryError``.
        * Reads naming an unknown model, version or alias raise ``RegistryError``
          that names the known ones (with "did you mean").
        * ``search`` takes the filter language of :func:`hyperflow.store.parse_where`
          over the fields ``name``, ``version``, ``alias``, ``status``, ``run_id``,
          ``description``, ``created_at``, ``metrics.<k>`` and ``tags.<k>``,
          evaluated by the backend; a filter on a metric no version has raises
          ``QueryError`` listing the ones that exist.
        * A record returned by a read is never changed by later writes.
    """

    # -- reads ----------------------------------------------------------------------------
    @abc.abstractmethod
    def models(self) -> list[str]:
        """The registered model names, sorted."""

    @abc.abstractmethod
    def require_model(self, name: str) -> None:
        """Raise ``RegistryError`` (naming the known models) unless ``name`` is registered."""

    @abc.abstractmethod
    def versions(self, name: str, *, include_archived: bool = True) -> list[ModelVersion]:
        """Every version of ``name``, highest precedence first."""

    @abc.abstractmethod
    def get_version(self, name: str, version: str) -> ModelVersion:
        """One version of ``name`` (archived ones included)."""

    @abc.abstractmethod
    def resolve_alias(self, name: str, alias: str) -> str:
        """The version ``alias`` (``latest`` included) of ``name`` points at."""

    @abc.abstractmethod
    def history(self, name: str, alias: str) -> list[AliasMove]:
        """Every recorded move of ``alias``, oldest first."""

    @abc.abstractmethod
    def search(
        self,
        where: str | None = None,
        *,
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
        alias: str | None = None,
        include_archived: bool = False,
    ) -> list[ModelVersion]:
        """Versions matching ``where`` and, if given, of model ``name``, with all ``tags``,
        and that ``alias`` points at; by name, then newest first."""

    @abc.abstractmethod
    def known_keys(self, kind: str, among: Sequence[str] | None = None) -> list[str]:
        """The sorted ``metrics`` or ``tags`` keys that any version has (of ``among`` only,
        if given)."""

    @abc.abstractmethod
    def suite_results(self, name: str, version: str) -> list[dict[str, Any]]:
        """Recorded suite results of a version, newest first: ``suite_ref``, ``passed``,
        ``pass_rate``, ``result`` (a JSON document) and ``at``."""

    # -- writes ---------------------------------------------------------------------------
    @abc.abstractmethod
    def add_version(self, name: str, choose: VersionChooser, new: NewVersion) -> str:
        """Add a version of ``name`` (creating the model) and return its version string."""

    @abc.abstractmethod
    def move_alias(
        self,
        name: str,
        alias: str,
        version: str | None,
        *,
        reason: str | None = None,
        rollback: bool = False,
        who: str | None = None,
    ) -> AliasMove:
        """Point ``alias`` at ``version`` (``None`` removes it) and record the move."""

    @abc.abstractmethod
    def set_status(self, name: str, version: str, status: VersionStatus) -> None:
        """Archive (or re-activate) a version."""

    @abc.abstractmethod
    def delete_version(self, name: str, version: str) -> None:
        """Delete a version (its suite results and alias history stay)."""

    @abc.abstractmethod
    def record_suite(
        self,
        name: str,
        version: str,
        suite_ref: str,
        passed: bool,
        pass_rate: float,
        result_json: str,
    ) -> None:
        """Record a behavioural-suite result (a JSON document) with a version."""

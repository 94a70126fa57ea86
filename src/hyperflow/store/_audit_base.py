"""The contract of the governance records: the audit log, version documentation, fairness.

:class:`AuditStore` keeps three things a model's governance needs besides the
registry itself:

* the **audit log**: one :class:`AuditEvent` per write action (who, when, what,
  on which target, why), *append-only*: the contract has no way to change or
  remove an event, and the SQL backend refuses ``UPDATE`` and ``DELETE`` on its
  table at the database level (triggers);
* **documentation** of a model version that users write (intended use,
  limitations), shown in its model card;
* **fairness results** recorded with a version (``hf.testing.FairnessResult``
  as a JSON document).

Every implementation passes the conformance suite ``AuditStoreSuite``
(``hyperflow.store._audit_conformance``, run on SQLite and PostgreSQL by
``tests/store/test_audit_store.py``).
"""

from __future__ import annotations

import abc
import contextlib
import contextvars
import getpass
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DOC_FIELDS", "AuditEvent", "AuditStore", "acting_as", "actor"]

_ACTOR: contextvars.ContextVar[str | None] = contextvars.ContextVar("hf_actor", default=None)


@contextlib.contextmanager
def acting_as(name: str) -> Iterator[None]:
    """Attribute the write actions inside the block to ``name`` (e.g. an API token's name).

    Example:
        >>> with acting_as("ci-token"):
        ...     actor()
        'ci-token'
    """
    token = _ACTOR.set(name)
    try:
        yield
    finally:
        _ACTOR.reset(token)


def actor() -> str:
    """Who is acting: ``acting_as``'s name, else ``$HYPERFLOW_USER``, else the OS user."""
    name = _ACTOR.get() or os.environ.get("HYPERFLOW_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # no user database (containers)
        return "unknown"

#: The user-written documentation fields a version may carry.
DOC_FIELDS: tuple[str, ...] = ("intended_use", "limitations")


@dataclass(frozen=True)
class AuditEvent:
    """One recorded write action.

    Attributes:
        id: its position in the log (increasing).
        at: epoch seconds; who: a token name or the OS user.
        action: what was done, dotted, e.g. ``model.register``, ``alias.set``,
            ``version.delete``, ``predictions.prune``.
        target: what it was done to, e.g. ``weather:1.2.0`` or ``weather@production``.
        details: a JSON object with the particulars; reason: the user's why, if given.
    """

    id: int
    at: float
    who: str
    action: str
    target: str
    details: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


class AuditStore(abc.ABC):
    """Where the audit log, version documentation and fairness results are kept.

    Contract:
        * Safe from several threads and processes; each write is one transaction.
        * ``append`` is the only write to the log; events come back in the order
          they were appended (``id`` increasing) and are never changed.
        * ``events`` filters by exact ``action`` (or an ``action`` prefix ending in
          ``.``), ``target``, ``who`` and ``since`` (epoch seconds, inclusive);
          ``limit`` keeps the newest ones.
        * ``set_documentation`` merges fields into a version's documentation
          (``None`` clears one); unknown field names raise ``ValueError``.
        * A record returned by a read is never changed by later writes.
    """

    @abc.abstractmethod
    def append(
        self,
        action: str,
        target: str,
        *,
        who: str,
        details: Mapping[str, Any] | None = None,
        reason: str | None = None,
    ) -> AuditEvent:
        """Record one write action and return it (with its ``id`` and time)."""

    @abc.abstractmethod
    def events(
        self,
        *,
        action: str | None = None,
        target: str | None = None,
        who: str | None = None,
        since: float | None = None,
        limit: int | None = None,
    ) -> list[AuditEvent]:
        """Recorded events, oldest first."""

    @abc.abstractmethod
    def set_documentation(
        self, name: str, version: str, fields: Mapping[str, str | None], *, who: str
    ) -> dict[str, str]:
        """Merge ``fields`` into the documentation of ``name:version``; return the result."""

    @abc.abstractmethod
    def documentation(self, name: str, version: str) -> dict[str, str]:
        """The documentation fields of ``name:version`` (empty when none)."""

    @abc.abstractmethod
    def record_fairness(self, name: str, version: str, result_json: str) -> None:
        """Record a fairness result (a JSON document) with ``name:version``."""

    @abc.abstractmethod
    def fairness_results(self, name: str, version: str) -> list[dict[str, Any]]:
        """Recorded fairness results of ``name:version``, newest first: ``result`` (JSON
        text) and ``at``."""

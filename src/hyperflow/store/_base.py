"""The contracts of the two stores, and the records they exchange.

``MetadataStore`` keeps runs (params, metrics, tags, node timings, artifact
references, lineage); ``ArtifactStore`` keeps content-addressed bytes. Both are
small abstract bases: every implementation passes the conformance suites in
:mod:`hyperflow.store.conformance`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hyperflow.store._audit_base import AuditStore
    from hyperflow.store._registry_base import RegistryStore

__all__ = [
    "RUN_STATUSES",
    "ArtifactRecord",
    "ArtifactStore",
    "MetadataStore",
    "MetricPoint",
    "NodeRecord",
    "RunRecord",
    "RunStatus",
]

class RunStatus(StrEnum):
    """Where a run stands (a ``str``: ``RunStatus.FINISHED == "finished"``).

    ``pruned``: a search's pruner stopped the run early (a trial of ``optimize``), on
    purpose; its metrics hold the last value it reported.
    """

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    PRUNED = "pruned"

    @classmethod
    def check(cls, value: RunStatus | str) -> RunStatus:
        """``value`` as a ``RunStatus``, or ``StoreError`` naming the accepted values."""
        try:
            return cls(value)
        except ValueError:
            from hyperflow._errors import StoreError

            raise StoreError(
                f"a run status is one of {', '.join(RUN_STATUSES)}, but got {value!r}"
            ) from None


RUN_STATUSES = tuple(s.value for s in RunStatus)


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One logged metric value: ``key`` at ``step`` (wall ``timestamp`` in epoch seconds)."""

    key: str
    value: float
    step: int
    timestamp: float


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """What one node did in a run: wall seconds, cache hit, code version."""

    key: str
    seconds: float
    cache_hit: bool
    code_version: str | None = None


@dataclass(frozen=True, slots=True)
class ArtifactRecord:
    """A named artifact of a run: the sha256 ``digest`` of its bytes and how to read them."""

    name: str
    digest: str
    format: str
    size: int
    type: str


@dataclass(slots=True)
class RunRecord:
    """Everything stored about one run.

    ``metrics`` holds the latest value of each key (highest step); the full series
    comes from :meth:`MetadataStore.metric_history`. ``search_runs`` leaves
    ``nodes``, ``artifacts`` and ``lineage`` empty to stay fast.
    """

    run_id: str
    status: RunStatus | str
    start_time: float
    name: str | None = None
    pipeline: str | None = None
    end_time: float | None = None
    parent_id: str | None = None
    error: str | None = None
    failed_node: str | None = None
    traceback: str | None = None
    pid: int | None = None
    host: str | None = None
    heartbeat: float | None = None
    config: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, NodeRecord] = field(default_factory=dict)
    artifacts: dict[str, ArtifactRecord] = field(default_factory=dict)


class MetadataStore(abc.ABC):
    """Where runs are recorded.

    Contract:
        * Safe to use from several threads and several processes at once; every
          write is committed when the call returns (a crash afterwards loses nothing).
        * ``create_run`` with an existing id raises ``StoreError``; writes to an
          unknown run raise ``StoreError``.
        * ``log_params``/``set_tags`` overwrite keys; ``log_metrics`` appends points
          and the latest value of a key is the one with the highest step (the last
          logged on ties).
        * A record returned by a read is never changed by later writes.
    """

    @property
    @abc.abstractmethod
    def url(self) -> str:
        """Where this store lives (credentials masked)."""

    @abc.abstractmethod
    def create_run(self, run: RunRecord) -> None:
        """Record a new run (its params, tags and config included)."""

    @abc.abstractmethod
    def end_run(
        self,
        run_id: str,
        *,
        status: RunStatus | str,
        end_time: float,
        error: str | None = None,
        failed_node: str | None = None,
        traceback: str | None = None,
        expected_status: RunStatus | str | None = None,
    ) -> None:
        """Mark a run finished or failed (only if its status is ``expected_status``, if given)."""

    @abc.abstractmethod
    def heartbeat(self, run_id: str, when: float) -> None:
        """Note that the run's owner is alive at ``when``."""

    @abc.abstractmethod
    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        """Store JSON-able parameter values (overwriting keys)."""

    @abc.abstractmethod
    def log_metrics(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        """Append metric points."""

    @abc.abstractmethod
    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        """Store string tags (overwriting keys)."""

    @abc.abstractmethod
    def log_nodes(self, run_id: str, nodes: Iterable[NodeRecord]) -> None:
        """Store per-node timings, cache hits and code versions (overwriting keys)."""

    @abc.abstractmethod
    def log_artifact(self, run_id: str, artifact: ArtifactRecord) -> None:
        """Reference stored bytes under a name of the run (overwriting the name)."""

    @abc.abstractmethod
    def set_lineage(self, run_id: str, lineage: Mapping[str, Any]) -> None:
        """Merge keys into the run's lineage document."""

    @abc.abstractmethod
    def get_run(self, run_id: str) -> RunRecord | None:
        """The full record of a run, or ``None`` when unknown."""

    @abc.abstractmethod
    def metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        """Every point of one metric of a run, by step then logging order."""

    @abc.abstractmethod
    def search_runs(
        self,
        *,
        pipeline: str | None = None,
        where: str | None = None,
        order_by: str | Sequence[str] | None = None,
        limit: int | None = None,
        parent_id: str | None = None,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Runs matching a filter (see :func:`hyperflow.store.parse_where`), ordered.

        ``order_by`` items are fields like ``"metrics.f1"``; a leading ``-`` sorts
        descending. The default order is newest first. ``offset`` skips that many
        matching runs first (a page of a listing).
        """

    def count_runs(
        self,
        *,
        pipeline: str | None = None,
        where: str | None = None,
        parent_id: str | None = None,
        at_most: int | None = None,
    ) -> int:
        """How many runs ``search_runs`` would return with these filters and no limit.

        With ``at_most``, counting stops there (a cheap "10,000+" for large filters).
        """
        found = self.search_runs(pipeline=pipeline, where=where, parent_id=parent_id,
                                 limit=at_most)
        return len(found)

    @abc.abstractmethod
    def find_run_ids(self, prefix: str, *, limit: int = 10) -> list[str]:
        """Ids of the runs whose id starts with ``prefix``, sorted (at most ``limit``).

        ``%`` and ``_`` in ``prefix`` are plain characters.
        """

    @abc.abstractmethod
    def delete_run(self, run_id: str) -> None:
        """Delete a run with its params, metrics, tags, nodes and artifact references.

        Artifact bytes stay (they are content-addressed and may be shared). Raises
        ``StoreError`` for an unknown run, and for a run that a registered model
        version was built from (naming the versions).
        """

    @abc.abstractmethod
    def known_keys(self, kind: str, among: Sequence[str] | None = None) -> list[str]:
        """The sorted keys of ``kind`` (``"metrics"``, ``"params"`` or ``"tags"``) any run has.

        With ``among``, only those of its keys that exist (a cheap check of a few keys).
        """

    @abc.abstractmethod
    def running_runs(self) -> list[RunRecord]:
        """Runs whose status is still ``running`` (to detect abandoned ones)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (the store may be used again afterwards)."""

    def registry_store(self) -> RegistryStore:
        """The model registry kept alongside these runs.

        Raises ``StoreError`` for stores that keep no registry (the default).
        """
        from hyperflow._errors import StoreError

        raise StoreError(
            f"the metadata store {self.url!r} keeps no model registry; use a SQL store "
            "(sqlite:///path.db or postgresql+psycopg://...) for hf.registry"
        )


    def audit_store(self) -> AuditStore:
        """The audit log and governance records kept alongside these runs.

        Raises ``StoreError`` for stores that keep none (the default).
        """
        from hyperflow._errors import StoreError

        raise StoreError(
            f"the metadata store {self.url!r} keeps no audit log; use a SQL store "
            "(sqlite:///path.db or postgresql+psycopg://...)"
        )


class ArtifactStore(abc.ABC):
    """Content-addressed bytes: the key of a blob is the sha256 of its content.

    Contract:
        * ``put`` is atomic: a reader never sees a partial blob under its digest.
        * ``get`` verifies the bytes against the digest and raises
          ``IntegrityError`` when they differ (tampered or truncated), and
          ``StoreError`` when the blob is missing.
        * Putting the same bytes twice stores them once.
    """

    @property
    @abc.abstractmethod
    def url(self) -> str:
        """The root location (a local path or ``s3://bucket/prefix``)."""

    @abc.abstractmethod
    def put(self, data: bytes) -> str:
        """Store ``data`` and return its sha256 hex digest."""

    @abc.abstractmethod
    def get(self, digest: str) -> bytes:
        """The verified bytes of ``digest``."""

    @abc.abstractmethod
    def exists(self, digest: str) -> bool:
        """Whether a blob is stored under ``digest``."""

    @abc.abstractmethod
    def path_of(self, digest: str) -> str:
        """Where the blob of ``digest`` lives (for diagnostics)."""

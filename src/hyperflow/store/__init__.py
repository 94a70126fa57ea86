"""Metadata store (SQLAlchemy: SQLite default, PostgreSQL) and artifact store (fsspec).

This layer imports nothing of hyperflow but its errors. Later layers build on:

* :func:`get_store` / :func:`get_artifact_store`: ``None | URL | instance`` to a store;
* :class:`SQLStore.engine`: the SQLAlchemy engine (``store.engine.url``), e.g.
  to give Optuna's ``RDBStorage`` the same database;
* :func:`serialize` / :func:`deserialize`: safe formats per type;
* :func:`find_project_root`, :func:`resolve_store_url`, :func:`resolve_artifact_root`;
* :class:`PredictionLog` (:class:`SQLPredictionLog`, :class:`InMemoryPredictionLog`) and
  :func:`get_prediction_log`: the served-prediction log, written by serving;
* :class:`RegistryStore` (:class:`SQLRegistryStore`, from ``store.registry_store()``):
  model versions, aliases and their history, written by the registry;
* :class:`AuditStore` (:class:`SQLAuditStore`, from ``store.audit_store()``): the
  append-only audit log, version documentation and fairness results;
* :class:`StateStore` (:class:`SQLStateStore`, :func:`get_state_store`): documents and
  their items (chunks, vectors) that service endpoints keep between requests;
* :func:`parse_where`: the one filter language of every search.
"""

from hyperflow.store._artifacts import FileArtifactStore
from hyperflow.store._audit_base import DOC_FIELDS, AuditEvent, AuditStore, acting_as, actor
from hyperflow.store._audit_sql import SQLAuditStore
from hyperflow.store._base import (
    RUN_STATUSES,
    ArtifactRecord,
    ArtifactStore,
    MetadataStore,
    MetricPoint,
    NodeRecord,
    RunRecord,
    RunStatus,
)
from hyperflow.store._factory import get_artifact_store, get_store
from hyperflow.store._migrate import HEAD, current_revision, upgrade
from hyperflow.store._monitor_base import (
    AlertEvent,
    AlertRecord,
    CheckRecord,
    MonitorStore,
    ReferenceProfile,
    get_monitor_store,
)
from hyperflow.store._monitor_sql import SQLMonitorStore
from hyperflow.store._predictions import (
    FeedbackRecord,
    InMemoryPredictionLog,
    PredictionLog,
    PredictionRecord,
    SQLPredictionLog,
    get_prediction_log,
)
from hyperflow.store._project import (
    DEFAULT_ARTIFACTS,
    DEFAULT_STORE_URL,
    find_project_root,
    note_untracked,
    project_config,
    resolve_artifact_root,
    resolve_store_url,
    store_configured,
    store_exists,
    tracking_default,
    untracked_hint,
)
from hyperflow.store._query import Condition, QueryError, parse_where, where_keys
from hyperflow.store._registry_base import (
    AliasAction,
    AliasMove,
    ModelVersion,
    NewVersion,
    RegistryStore,
    VersionStatus,
)
from hyperflow.store._registry_sql import SQLRegistryStore
from hyperflow.store._serialize import (
    FORMATS,
    PICKLE_FORMATS,
    deserialize,
    serialize,
    type_name,
)
from hyperflow.store._sql import SQLStore
from hyperflow.store._state_base import (
    StateDocument,
    StateItem,
    StateStore,
    get_state_store,
)
from hyperflow.store._state_sql import SQLStateStore

__all__ = [
    "DEFAULT_ARTIFACTS",
    "DEFAULT_STORE_URL",
    "DOC_FIELDS",
    "FORMATS",
    "HEAD",
    "PICKLE_FORMATS",
    "RUN_STATUSES",
    "AlertEvent",
    "AlertRecord",
    "AliasAction",
    "AliasMove",
    "ArtifactRecord",
    "ArtifactStore",
    "AuditEvent",
    "AuditStore",
    "CheckRecord",
    "Condition",
    "FeedbackRecord",
    "FileArtifactStore",
    "InMemoryPredictionLog",
    "MetadataStore",
    "MetricPoint",
    "ModelVersion",
    "MonitorStore",
    "NewVersion",
    "NodeRecord",
    "PredictionLog",
    "PredictionRecord",
    "QueryError",
    "ReferenceProfile",
    "RegistryStore",
    "RunRecord",
    "RunStatus",
    "SQLAuditStore",
    "SQLMonitorStore",
    "SQLPredictionLog",
    "SQLRegistryStore",
    "SQLStateStore",
    "SQLStore",
    "StateDocument",
    "StateItem",
    "StateStore",
    "VersionStatus",
    "acting_as",
    "actor",
    "current_revision",
    "deserialize",
    "find_project_root",
    "get_artifact_store",
    "get_monitor_store",
    "get_prediction_log",
    "get_state_store",
    "get_store",
    "note_untracked",
    "parse_where",
    "project_config",
    "resolve_artifact_root",
    "resolve_store_url",
    "serialize",
    "store_configured",
    "store_exists",
    "tracking_default",
    "type_name",
    "untracked_hint",
    "upgrade",
    "where_keys",
]

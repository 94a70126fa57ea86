"""Model registry: semantic versions, aliases with history, rollback, lineage, ``load``.

A registered model is an inference pipeline plus the fitted artifacts of one run.
"""

from hyperflow.registry._api import (
    CodeVersionWarning,
    RecomputedArtifactWarning,
    RegistrySource,
    archive,
    delete,
    get,
    history,
    load,
    models,
    parse_ref,
    pipeline_code_version,
    record_suite_result,
    register,
    remove_alias,
    rollback,
    search,
    set_alias,
    source,
    suite_results,
    versions,
)
from hyperflow.registry._card import card
from hyperflow.registry._governance import (
    acting_as,
    audit_log,
    describe,
    documentation,
    fairness_results,
    record_fairness,
)
from hyperflow.registry._predictor import (
    ModelSource,
    PredictionInputError,
    Predictor,
    RowSchema,
    StaticSource,
)
from hyperflow.registry._semver import Bump, SemVer, bump
from hyperflow.registry._service import ServiceClient
from hyperflow.registry._state import Chunk, ServiceState, StateCollection
from hyperflow.store import AliasAction, AliasMove, ModelVersion, VersionStatus

__all__ = [
    "AliasAction",
    "AliasMove",
    "Bump",
    "Chunk",
    "CodeVersionWarning",
    "ModelSource",
    "ModelVersion",
    "PredictionInputError",
    "Predictor",
    "RecomputedArtifactWarning",
    "RegistrySource",
    "RowSchema",
    "SemVer",
    "ServiceClient",
    "ServiceState",
    "StateCollection",
    "StaticSource",
    "VersionStatus",
    "acting_as",
    "archive",
    "audit_log",
    "bump",
    "card",
    "delete",
    "describe",
    "documentation",
    "fairness_results",
    "get",
    "history",
    "load",
    "models",
    "parse_ref",
    "pipeline_code_version",
    "record_fairness",
    "record_suite_result",
    "register",
    "remove_alias",
    "rollback",
    "search",
    "set_alias",
    "source",
    "suite_results",
    "versions",
]

"""The registry's public functions: aliases, rollback, archive, search, load, suites."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from hyperflow._errors import RegistryError
from hyperflow._refs import import_trusted_ref
from hyperflow.core import Pipeline, Service
from hyperflow.registry._common import (
    StoreArg,
    catalog_of,
    check_name,
    current_user,
    log,
    parse_ref,
    pipeline_code_version,
)
from hyperflow.registry._governance import check_pickle, pickle_allowed_by_config, record_event
from hyperflow.registry._predictor import Predictor
from hyperflow.registry._register import SERIALIZATION_KEY, RecomputedArtifactWarning, register
from hyperflow.registry._semver import SemVer
from hyperflow.registry._service import ServiceClient
from hyperflow.registry._signing import signing_key, verify_signature
from hyperflow.store import (
    AliasMove,
    ArtifactStore,
    ModelVersion,
    RegistryStore,
    VersionStatus,
    get_artifact_store,
    get_store,
)

__all__ = [
    "CodeVersionWarning",
    "RecomputedArtifactWarning",
    "RegistrySource",
    "archive",
    "delete",
    "get",
    "history",
    "load",
    "models",
    "parse_ref",
    "pipeline_code_version",
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


class CodeVersionWarning(UserWarning):
    """The importable predict pipeline differs from the code that was registered."""


def get(ref: str, *, store: StoreArg = None) -> ModelVersion:
    """The version a reference names: ``"name@alias"``, ``"name:1.2.0"``, ``"name@latest"``."""
    name, version, alias = parse_ref(ref)
    catalog = catalog_of(store)
    if version is None:
        version = catalog.resolve_alias(name, alias or "latest")
    return catalog.get_version(name, version)


def versions(
    name: str, *, include_archived: bool = True, store: StoreArg = None
) -> list[ModelVersion]:
    """Every version of ``name``, newest first."""
    return catalog_of(store).versions(name, include_archived=include_archived)


def models(*, store: StoreArg = None) -> list[str]:
    """The registered model names."""
    return catalog_of(store).models()


def set_alias(
    name: str, alias: str, version: str, *, reason: str | None = None, store: StoreArg = None
) -> AliasMove:
    """Point ``alias`` (e.g. ``production``) at ``version``; the move is recorded."""
    check_name(name)
    SemVer.parse(version)
    move = catalog_of(store).move_alias(name, alias, version, reason=reason, who=current_user())
    return _audited(move, name, store)


def remove_alias(
    name: str, alias: str, *, reason: str | None = None, store: StoreArg = None
) -> AliasMove:
    """Remove ``alias`` from model ``name``; the removal is recorded in the alias history.

    Raises:
        RegistryError: unknown model or alias (the known ones are listed), or ``latest``
            (which is virtual).
    """
    check_name(name)
    move = catalog_of(store).move_alias(name, alias, None, reason=reason, who=current_user())
    return _audited(move, name, store)


def rollback(
    name: str, alias: str, *, reason: str | None = None, store: StoreArg = None
) -> AliasMove:
    """Move ``alias`` back to its previous target (repeat to step further back)."""
    catalog = catalog_of(store)
    target = _rollback_target(catalog, name, alias)
    move = catalog.move_alias(
        name, alias, target, reason=reason or "rollback", rollback=True, who=current_user()
    )
    return _audited(move, name, store)


def _audited(move: AliasMove, name: str, store: StoreArg) -> AliasMove:
    """Append the alias move to the audit log (``alias.set``/``rollback``/``remove``)."""
    details = {"from": move.from_version, "to": move.to_version}
    target = f"{name}@{move.alias}"
    record_event(store, f"alias.{move.action.value}", target, details=details, reason=move.reason)
    return move


def _rollback_target(catalog: RegistryStore, name: str, alias: str) -> str:
    """The version ``alias`` pointed at before its current target was set.

    Walks back over earlier rollbacks, so repeated rollbacks step further back.
    """
    current = catalog.resolve_alias(name, alias)
    moves = catalog.history(name, alias)
    for move in reversed(moves):
        if move.to_version == current and not move.rollback:
            if move.from_version is None:
                break
            return move.from_version
    raise RegistryError(
        f"alias {alias!r} of model {name!r} has no earlier target to roll back to "
        f"(it points at {current}; history: "
        + ", ".join(f"{m.from_version}->{m.to_version}" for m in moves)
        + ")"
    )


def history(name: str, alias: str, *, store: StoreArg = None) -> list[AliasMove]:
    """Every move of ``alias``, oldest first."""
    return catalog_of(store).history(name, alias)


def archive(name: str, version: str, *, reason: str | None = None, store: StoreArg = None) -> None:
    """Hide a version from ``latest`` and searches (it stays loadable by its version).

    Refused while an alias points at it (archived versions take no aliases).
    """
    catalog_of(store).set_status(name, version, VersionStatus.ARCHIVED)
    record_event(store, "version.archive", f"{name}:{version}", reason=reason)


def delete(
    name: str, version: str, *, reason: str | None = None, store: StoreArg = None
) -> None:
    """Delete a version; refused while an alias points at it. Recorded in the audit log."""
    catalog_of(store).delete_version(name, version)
    record_event(store, "version.delete", f"{name}:{version}", reason=reason)


def search(
    name: str | None = None,
    *,
    where: str | None = None,
    tags: Mapping[str, str] | None = None,
    alias: str | None = None,
    include_archived: bool = False,
    store: StoreArg = None,
) -> list[ModelVersion]:
    """Versions matching a filter, e.g. ``where="metrics.f1 > 0.5 and tags.team = 'ml'"``.

    The filter language is the one of ``hf.runs.search`` (:func:`hyperflow.store.parse_where`)
    over the fields ``name``, ``version``, ``alias``, ``status``, ``run_id``,
    ``description``, ``created_at``, ``metrics.<k>`` and ``tags.<k>``, evaluated by
    the store (SQL). ``tags`` must all match; ``alias`` keeps the version an alias
    points at. Results are ordered by model name, newest version first.

    Raises:
        QueryError: the filter cannot be parsed, or names a metric no version has.
        RegistryError: ``name`` is not a registered model.

    Each result carries its current ``aliases`` (``latest`` included).
    """
    return catalog_of(store).search(
        where, name=name, tags=tags, alias=alias, include_archived=include_archived
    )

def load(
    ref: str,
    *,
    store: StoreArg = None,
    artifact_store: ArtifactStore | str | None = None,
    allow_pickle: bool | None = None,
) -> Predictor | ServiceClient:
    """Load a registered model as a ``Predictor`` (artifacts verified by hash first).

    A version registered with an ``hf.Service`` loads as a ``ServiceClient``: one
    method per endpoint (``svc.query_document(query="...")``), the service's state
    (on ``store``) bound to the endpoints that take ``state``.

    Warns (``CodeVersionWarning``) when the importable predict pipeline's code
    differs from the registered one. Artifacts in a pickle format load only when
    ``allow_pickle`` is true, or (``None``) when the version was registered with
    ``allow_pickle`` (or before that choice was recorded) or the project allows it.
    """
    from hyperflow.store import deserialize

    name, _, alias = parse_ref(ref)
    mv = get(ref, store=store)
    key = signing_key()
    if key is not None:
        verify_signature(
            key, mv.ref, mv.name, mv.predict_ref, mv.code_version, mv.artifacts, mv.lineage
        )
    obj = import_trusted_ref(mv.predict_ref)  # a row names code: allow-listed before import
    if not isinstance(obj, Pipeline | Service):
        raise RegistryError(
            f"{mv.predict_ref!r} is a {type(obj).__name__}, not an hf.Pipeline or hf.Service"
        )
    now = pipeline_code_version(obj)
    if mv.code_version and now != mv.code_version:
        message = (
            f"the predict pipeline {mv.predict_ref} of {mv.ref} has changed since it was "
            f"registered (code version {mv.code_version} then, {now} now): the served code is "
            "not the code that was registered; register a new version"
        )
        log.warning(message)
        warnings.warn(message, CodeVersionWarning, stacklevel=2)
    _check_load_pickle(mv, allow_pickle)
    art_store = get_artifact_store(artifact_store)
    bound = {
        a: deserialize(art_store.get(meta["digest"]), meta["format"])
        for a, meta in mv.artifacts.items()
    }
    if isinstance(obj, Service):
        return ServiceClient(
            obj, bound, name=name, version=mv.version, alias=alias,
            code_version=mv.code_version, store=get_store(store),
        )
    return Predictor(
        obj, bound, name=name, version=mv.version, alias=alias, code_version=mv.code_version
    )


def _check_load_pickle(mv: ModelVersion, allow_pickle: bool | None) -> None:
    if allow_pickle is None:
        recorded = mv.lineage.get(SERIALIZATION_KEY)
        # versions registered before the choice was recorded load as they did
        allow_pickle = True if recorded is None else bool(recorded.get("allow_pickle"))
        allow_pickle = allow_pickle or pickle_allowed_by_config()
    check_pickle(mv.ref, mv.artifacts, allow_pickle, "refused to load")


class RegistrySource:
    """A ``ModelSource`` for serving: follows ``name@alias`` as the alias moves."""

    def __init__(
        self, ref: str, *, store: StoreArg = None, artifact_store: ArtifactStore | str | None = None
    ) -> None:
        self.name, self.version, self.alias = parse_ref(ref)
        self.ref = ref
        self._store = get_store(store)
        self._artifacts = artifact_store

    def current(self) -> str:
        if self.version is not None:
            return self.version
        return self._store.registry_store().resolve_alias(self.name, self.alias or "latest")

    def load(self) -> Predictor:
        version = self.current()
        predictor = load(
            f"{self.name}:{version}", store=self._store, artifact_store=self._artifacts
        )
        if not isinstance(predictor, Predictor):
            raise RegistryError(
                f"{self.name}:{version} is a service ({predictor!r}), not a single-pipeline "
                "model; serve it with create_app/serve or `hyperflow serve`, which give it one "
                "route per endpoint"
            )
        predictor.alias = self.alias
        return predictor


def source(ref: str, *, store: StoreArg = None) -> RegistrySource:
    """A ``ModelSource`` following ``ref`` (used by ``hyperflow serve NAME@ALIAS``)."""
    return RegistrySource(ref, store=store)


def record_suite_result(ref: str, result: Any, *, store: StoreArg = None) -> None:
    """Record a behavioural-suite result (``hf.testing`` ``SuiteResult``) with a version."""
    mv = get(ref, store=store)
    suite_ref = getattr(result, "suite_ref", None)
    if not suite_ref:
        raise RegistryError(
            "the suite result has no suite_ref: define the suite at module level and run it as "
            "hf.testing.load_suite('module:attr').run(...) so it can be re-run later"
        )
    catalog_of(store).record_suite(
        mv.name,
        mv.version,
        suite_ref,
        bool(result.passed),
        float(result.pass_rate),
        result.to_json(),
    )


def suite_results(ref: str, *, store: StoreArg = None) -> list[dict[str, Any]]:
    """Recorded suite results of a version, newest first."""
    mv = get(ref, store=store)
    return catalog_of(store).suite_results(mv.name, mv.version)

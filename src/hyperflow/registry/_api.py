"""The registry's public functions: register, aliases, rollback, load, search."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from hyperflow._errors import RegistryError
from hyperflow._refs import find_ref, import_ref, import_trusted_ref
from hyperflow.core import NestedNode, Pipeline
from hyperflow.registry._catalog import AliasMove, Catalog, ModelVersion
from hyperflow.registry._predictor import Predictor
from hyperflow.registry._semver import SemVer
from hyperflow.store import ArtifactStore, MetadataStore, get_artifact_store, get_store

__all__ = [
    "CodeVersionWarning",
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
    "rollback",
    "search",
    "set_alias",
    "source",
    "suite_results",
    "versions",
]

log = logging.getLogger("hyperflow.registry")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
StoreArg = MetadataStore | str | None


class CodeVersionWarning(UserWarning):
    """The importable predict pipeline differs from the code that was registered."""


def _catalog(store: StoreArg) -> Catalog:
    return Catalog(get_store(store))  # type: ignore[arg-type]


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise RegistryError(
            f"a model name holds letters, digits, '_', '.' or '-' and starts with a letter or "
            f"digit, but got {name!r}"
        )


def parse_ref(ref: str) -> tuple[str, str | None, str | None]:
    """``"name@alias"`` → (name, None, alias); ``"name:1.2.0"`` → (name, "1.2.0", None);
    ``"name"`` → (name, None, "latest")."""
    if not isinstance(ref, str) or not ref:
        raise RegistryError(f"expected 'name@alias' or 'name:version', but got {ref!r}")
    if "@" in ref:
        name, _, alias = ref.partition("@")
        _check_name(name)
        return name, None, alias
    if ":" in ref:
        name, _, version = ref.partition(":")
        _check_name(name)
        SemVer.parse(version)
        return name, version, None
    _check_name(ref)
    return ref, None, "latest"


def _nodes(pipeline: Pipeline) -> list[Any]:
    out: list[Any] = []
    stack = [pipeline]
    while stack:
        p = stack.pop()
        for n in p.nodes.values():
            if isinstance(n, NestedNode):
                stack.append(n.pipeline)
            else:
                out.append(n)
    return out


def pipeline_code_version(pipeline: Pipeline) -> str:
    """One version for a whole pipeline: a hash of every node's code version."""
    from hyperflow.engine import node_version

    h = hashlib.sha256()
    for n in sorted(_nodes(pipeline), key=lambda n: (n.key, n.name)):
        h.update(f"{n.key}={node_version(n.func, n.version)};".encode())
    return h.hexdigest()[:32]


def _predict_ref(predict: Pipeline | str) -> tuple[str, Pipeline]:
    if isinstance(predict, str):
        obj = import_ref(predict)
        if not isinstance(obj, Pipeline):
            raise RegistryError(f"{predict!r} is a {type(obj).__name__}, not an hf.Pipeline")
        return predict, obj
    if not isinstance(predict, Pipeline):
        raise RegistryError(f"predict= takes an hf.Pipeline or 'module:attr', but got {predict!r}")
    modules = list(dict.fromkeys(getattr(n.func, "__module__", "") for n in _nodes(predict)))
    ref = find_ref(predict, modules)
    if ref is None:
        raise RegistryError(
            f"cannot find pipeline {predict.name!r} as a module-level name of an importable "
            f"module (looked in {modules}); define it at module level (not in __main__ or a "
            "notebook cell), or pass predict='module:attr'"
        )
    return ref, predict


def _recompute(
    run: Any,
    missing: list[str],
    train: Pipeline | None,
    inputs: Mapping[str, Any] | None,
    artifacts: ArtifactStore,
    store: MetadataStore,
) -> dict[str, dict[str, Any]]:
    from hyperflow.store import ArtifactRecord, serialize, type_name

    if train is None:
        raise RegistryError(
            f"run {run.run_id} has no artifact(s) {', '.join(map(repr, missing))} (it has: "
            f"{', '.join(sorted(run.artifacts)) or 'none'}); pass train=<pipeline> and inputs= "
            "to recompute them at the run's config (free when cached), or optimize with "
            f"keep={missing!r}"
        )
    result = train.run(inputs=dict(inputs or {}), config=run.config, outputs=missing, track=False)
    recorded = (run.lineage or {}).get("inputs") or {}
    if recorded:
        from hyperflow.engine import fingerprint

        now = {k: fingerprint(v) for k, v in (inputs or {}).items() if k in recorded}
        changed = sorted(k for k, v in now.items() if v != recorded[k])
        if changed:
            raise RegistryError(
                f"cannot recompute {missing} for run {run.run_id}: inputs {changed} differ from "
                "the ones the run used (their fingerprints changed); pass the original inputs"
            )
    out: dict[str, dict[str, Any]] = {}
    for name in missing:
        data, fmt = serialize(result[name])
        digest = artifacts.put(data)
        record = ArtifactRecord(name, digest, fmt, len(data), type_name(result[name]))
        store.log_artifact(run.run_id, record)
        out[name] = {"digest": digest, "format": fmt, "size": len(data), "type": record.type}
    return out


def register(
    name: str,
    *,
    run_id: str,
    predict: Pipeline | str,
    artifacts: Sequence[str] = ("model",),
    bump: str = "minor",
    version: str | None = None,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    train: Pipeline | None = None,
    inputs: Mapping[str, Any] | None = None,
    store: StoreArg = None,
    artifact_store: ArtifactStore | str | None = None,
) -> ModelVersion:
    """Register the artifacts of run ``run_id`` with an inference pipeline as a new version.

    Args:
        name: the model's name.
        run_id: the tracked run whose outputs are the fitted artifacts.
        predict: the inference pipeline (module-level object or ``"module:attr"``).
        artifacts: the run outputs the inference pipeline consumes as inputs.
        bump: ``major``, ``minor`` or ``patch`` over the newest version; or give ``version``.
        train, inputs: to recompute artifacts the run did not store (at its recorded config).

    Returns:
        The new, immutable ``ModelVersion``.
    """
    _check_name(name)
    meta = get_store(store)
    art_store = get_artifact_store(artifact_store)
    catalog = Catalog(meta)  # type: ignore[arg-type]
    run = meta.get_run(run_id)
    if run is None:
        raise RegistryError(f"no run {run_id!r} in {meta.url}; pick one from hf.runs.search()")
    if run.status != "finished":
        raise RegistryError(f"run {run_id} is {run.status}, not finished; register a finished run")
    ref, pipeline = _predict_ref(predict)
    missing_inputs = [a for a in artifacts if a not in pipeline.inputs]
    if missing_inputs:
        raise RegistryError(
            f"predict pipeline {pipeline.name!r} has no input(s) {missing_inputs} to bind the "
            f"artifacts to (its inputs: {list(pipeline.inputs)})"
        )
    bound = {
        a: {"digest": r.digest, "format": r.format, "size": r.size, "type": r.type}
        for a in artifacts
        if (r := run.artifacts.get(a)) is not None
    }
    missing = [a for a in artifacts if a not in bound]
    lineage: dict[str, Any] = {
        "run_id": run.run_id,
        "pipeline": run.pipeline,
        "config": run.config,
        "metrics": run.metrics,
        "code_versions": (run.lineage or {}).get("code_versions", {}),
        "data": (run.lineage or {}).get("inputs", {}),
        "environment": (run.lineage or {}).get("environment", {}),
        "git": (run.lineage or {}).get("git"),
        "seed": (run.lineage or {}).get("seed"),
    }
    if missing:
        bound.update(_recompute(run, missing, train, inputs, art_store, meta))
        lineage["recomputed_artifacts"] = missing
    lineage["artifacts"] = {a: v["digest"] for a, v in bound.items()}
    code = pipeline_code_version(pipeline)
    lineage["predict"] = {"ref": ref, "code_version": code}
    text = catalog.add_version(
        name,
        SemVer.parse(version) if version is not None else None,
        bump,
        {
            "run_id": run.run_id,
            "predict_ref": ref,
            "code_version": code,
            "artifacts": json.dumps(bound),
            "lineage": json.dumps(lineage, default=repr),
            "metrics": json.dumps(run.metrics),
            "tags": json.dumps(dict(tags or {})),
            "description": description,
        },
    )
    log.info("registered %s:%s from run %s", name, text, run_id)
    return catalog.get(name, text)


def get(ref: str, *, store: StoreArg = None) -> ModelVersion:
    """The version a reference names: ``"name@alias"``, ``"name:1.2.0"``, ``"name@latest"``."""
    name, version, alias = parse_ref(ref)
    catalog = _catalog(store)
    if version is None:
        version = catalog.resolve_alias(name, alias or "latest")
    return catalog.get(name, version)


def versions(
    name: str, *, include_archived: bool = True, store: StoreArg = None
) -> list[ModelVersion]:
    """Every version of ``name``, newest first."""
    return _catalog(store).versions(name, include_archived=include_archived)


def models(*, store: StoreArg = None) -> list[str]:
    """The registered model names."""
    return _catalog(store).models()


def set_alias(
    name: str, alias: str, version: str, *, reason: str | None = None, store: StoreArg = None
) -> AliasMove:
    """Point ``alias`` (e.g. ``production``) at ``version``; the move is recorded."""
    _check_name(name)
    SemVer.parse(version)
    return _catalog(store).move_alias(name, alias, version, reason=reason)


def rollback(
    name: str, alias: str, *, reason: str | None = None, store: StoreArg = None
) -> AliasMove:
    """Move ``alias`` back to its previous target (repeat to step further back)."""
    catalog = _catalog(store)
    target = catalog.rollback_target(name, alias)
    return catalog.move_alias(name, alias, target, reason=reason or "rollback", rollback=True)


def history(name: str, alias: str, *, store: StoreArg = None) -> list[AliasMove]:
    """Every move of ``alias``, oldest first."""
    return _catalog(store).history(name, alias)


def archive(name: str, version: str, *, store: StoreArg = None) -> None:
    """Hide a version from ``latest`` and searches (it stays loadable by its version)."""
    _catalog(store).set_status(name, version, "archived")


def delete(name: str, version: str, *, store: StoreArg = None) -> None:
    """Delete a version; refused while an alias points at it."""
    _catalog(store).set_status(name, version, "deleted")


def _matches(mv: ModelVersion, node: Any) -> bool:
    from hyperflow.store import Condition

    if isinstance(node, Condition):
        scope, _, key = node.field.partition(".")
        if scope == "metrics":
            have: Any = mv.metrics.get(key)
        elif scope == "tags":
            have = mv.tags.get(key)
        elif scope in ("version", "run_id", "status", "name"):
            have = getattr(mv, scope)
        else:
            raise RegistryError(
                f"cannot filter versions on {node.field!r}; use metrics.<k>, tags.<k>, version, "
                "status, run_id or name (and alias= for aliases)"
            )
        if have is None:
            return False
        ops = {"=": have == node.value, "!=": have != node.value}
        if node.op in ops:
            return bool(ops[node.op])
        if node.op == "in":
            return have in node.value
        try:
            return bool(
                {
                    "<": have < node.value,
                    "<=": have <= node.value,
                    ">": have > node.value,
                    ">=": have >= node.value,
                }[node.op]
            )
        except (TypeError, KeyError):
            return False
    kind, children = node
    results = (_matches(mv, c) for c in children)
    return all(results) if kind == "and" else any(results)


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

    ``tags`` must all match; ``alias`` keeps the version an alias points at.

    Each result carries its current ``aliases`` (``latest`` included).
    """
    from hyperflow.store import parse_where

    catalog = _catalog(store)
    node = parse_where(where) if where else None
    out = []
    for model in [name] if name else catalog.models():
        for mv in catalog.versions(model, include_archived=include_archived):
            if tags and any(mv.tags.get(k) != v for k, v in tags.items()):
                continue
            if alias is not None and alias not in mv.aliases:
                continue
            if node is not None and not _matches(mv, node):
                continue
            out.append(mv)
    return out


def load(
    ref: str,
    *,
    store: StoreArg = None,
    artifact_store: ArtifactStore | str | None = None,
) -> Predictor:
    """Load a registered model as a ``Predictor`` (artifacts verified by hash first).

    Warns (``CodeVersionWarning``) when the importable predict pipeline's code
    differs from the registered one.
    """
    from hyperflow.store import deserialize

    name, _, alias = parse_ref(ref)
    mv = get(ref, store=store)
    obj = import_trusted_ref(mv.predict_ref)  # a row names code: allow-listed before import
    if not isinstance(obj, Pipeline):
        raise RegistryError(f"{mv.predict_ref!r} is a {type(obj).__name__}, not an hf.Pipeline")
    now = pipeline_code_version(obj)
    if mv.code_version and now != mv.code_version:
        message = (
            f"the predict pipeline {mv.predict_ref} of {mv.ref} has changed since it was "
            f"registered (code version {mv.code_version} then, {now} now): the served code is "
            "not the code that was registered; register a new version"
        )
        log.warning(message)
        warnings.warn(message, CodeVersionWarning, stacklevel=2)
    art_store = get_artifact_store(artifact_store)
    bound = {
        a: deserialize(art_store.get(meta["digest"]), meta["format"])
        for a, meta in mv.artifacts.items()
    }
    return Predictor(
        obj, bound, name=name, version=mv.version, alias=alias, code_version=mv.code_version
    )


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
        return Catalog(self._store).resolve_alias(self.name, self.alias or "latest")  # type: ignore[arg-type]

    def load(self) -> Predictor:
        version = self.current()
        predictor = load(
            f"{self.name}:{version}", store=self._store, artifact_store=self._artifacts
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
    _catalog(store).record_suite(
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
    return _catalog(store).suite_results(mv.name, mv.version)

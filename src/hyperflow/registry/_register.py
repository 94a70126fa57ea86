"""``register``: a run's artifacts plus an inference pipeline become a new model version."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hyperflow._errors import RegistryError
from hyperflow._refs import find_ref, import_ref
from hyperflow.core import Pipeline, Service
from hyperflow.registry._card_data import data_lineage, find_train
from hyperflow.registry._common import (
    StoreArg,
    check_name,
    current_user,
    log,
    pipeline_code_version,
    pipeline_nodes,
)
from hyperflow.registry._governance import check_pickle
from hyperflow.registry._semver import Bump, SemVer, bump_part
from hyperflow.registry._service import predict_inputs
from hyperflow.registry._signing import SIGNATURE_KEY, sign_manifest, signing_key
from hyperflow.store import (
    ArtifactStore,
    MetadataStore,
    ModelVersion,
    NewVersion,
    RunRecord,
    get_artifact_store,
    get_store,
    untracked_hint,
)

__all__ = ["RECOMPUTED_KEY", "SERIALIZATION_KEY", "RecomputedArtifactWarning", "register"]


class RecomputedArtifactWarning(UserWarning):
    """``register`` recomputed artifacts the run had not stored (listed in the version's
    lineage under ``recomputed_artifacts``)."""


RECOMPUTED_KEY = "recomputed_artifacts"
#: lineage key: ``{"allow_pickle": bool}``, the registrant's choice for pickle formats
SERIALIZATION_KEY = "serialization"

def _predict_ref(predict: Pipeline | Service | str) -> tuple[str, Pipeline | Service]:
    if isinstance(predict, str):
        obj = import_ref(predict)
        if not isinstance(obj, Pipeline | Service):
            raise RegistryError(
                f"{predict!r} is a {type(obj).__name__}, not an hf.Pipeline or hf.Service"
            )
        return predict, obj
    if not isinstance(predict, Pipeline | Service):
        raise RegistryError(
            f"predict= takes an hf.Pipeline, an hf.Service or 'module:attr', but got {predict!r}"
        )
    nodes = pipeline_nodes(predict)
    modules = list(dict.fromkeys(getattr(n.func, "__module__", "") for n in nodes))
    ref = find_ref(predict, modules)
    if ref is None:
        raise RegistryError(
            f"cannot find {type(predict).__name__.lower()} {predict.name!r} as a module-level "
            f"name of an importable module (looked in {modules}); define it at module level "
            "(not in __main__ or a notebook cell), or pass predict='module:attr'"
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


def _find_run(meta: MetadataStore, run_id: str) -> RunRecord:
    from hyperflow._errors import TrackingError
    from hyperflow.tracking.runs import resolve_id

    try:
        full = resolve_id(run_id, store=meta)
    except TrackingError as exc:
        raise RegistryError(str(exc) + untracked_hint(run_id)) from exc
    run = meta.get_run(full)
    if run is None:
        raise RegistryError(f"run {full!r} was deleted from {meta.url} meanwhile")
    if run.status != "finished":
        raise RegistryError(
            f"run {run.run_id} is {run.status}, not finished; register a finished run"
        )
    return run


def register(
    name: str,
    *,
    run_id: str,
    predict: Pipeline | Service | str,
    artifacts: Sequence[str] = ("model",),
    bump: Bump | str = Bump.MINOR,
    version: str | None = None,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    train: Pipeline | None = None,
    inputs: Mapping[str, Any] | None = None,
    store: StoreArg = None,
    artifact_store: ArtifactStore | str | None = None,
    reference: Any = None,
    intended_use: str | None = None,
    limitations: str | None = None,
    reason: str | None = None,
    allow_pickle: bool | None = None,
) -> ModelVersion:
    """Register the artifacts of run ``run_id`` with an inference pipeline as a new version.

    Args:
        name: the model's name.
        run_id: the tracked run whose outputs are the fitted artifacts (its id or a
            unique prefix of it).
        predict: the inference pipeline, or an ``hf.Service`` of several endpoint
            pipelines (module-level object or ``"module:attr"``).
        artifacts: the run outputs the inference pipeline consumes as inputs (for a
            service: each bound to the endpoints that take it).
        bump: ``major``, ``minor`` or ``patch`` over the newest version; or give ``version``.
        train, inputs: to recompute artifacts the run did not store (at its recorded config);
            a ``RecomputedArtifactWarning`` says so, and the version's lineage lists them
            under ``recomputed_artifacts``. They also give the training data summarized in
            the lineage (``data_summary``: fingerprint, rows, date range of each DataFrame
            or array the artifacts came from; cache reads when the run was cached). Without
            ``train``, the pipeline named like the run's in the predict pipeline's module.
        intended_use, limitations: user-written documentation shown in the model card
            (change it later with ``hf.registry.describe``).
        reason: why, for the audit log (which records every registration).
        allow_pickle: bind artifacts stored with pickle/joblib (loading them can run
            code); default: ``[tool.hyperflow] allow_pickle`` or ``$HYPERFLOW_ALLOW_PICKLE``.
            Refused otherwise (scikit-learn estimators are stored with skops).

    Returns:
        The new, immutable ``ModelVersion``.
    """
    check_name(name)
    choose = _chooser(SemVer.parse(version) if version is not None else None, bump_part(bump))
    meta = get_store(store)
    catalog = meta.registry_store()
    run = _find_run(meta, run_id)
    ref, pipeline = _predict_ref(predict)
    bound, missing = _bind(run, pipeline, artifacts)
    lineage = _lineage(run)
    if missing:
        art_store = get_artifact_store(artifact_store)
        bound.update(_recompute(run, missing, train, inputs, art_store, meta))
        _note_recomputed(run.run_id, missing, lineage)
    lineage["artifacts"] = {a: v["digest"] for a, v in bound.items()}
    lineage[SERIALIZATION_KEY] = {
        "allow_pickle": check_pickle(name, bound, allow_pickle, "cannot register a version of")
    }
    code = pipeline_code_version(pipeline)
    lineage["predict"] = {"ref": ref, "code_version": code}
    if isinstance(pipeline, Service):
        lineage["predict"]["endpoints"] = list(pipeline.endpoints)
    lineage.update(data_lineage(run, train or find_train(run, ref), inputs, list(artifacts)))
    key = signing_key()
    if key is not None:
        lineage[SIGNATURE_KEY] = sign_manifest(key, name, ref, code, bound)
    new = NewVersion(
        run_id=run.run_id,
        predict_ref=ref,
        code_version=code,
        artifacts=bound,
        lineage=lineage,
        metrics=run.metrics,
        tags=dict(tags or {}),
        description=description,
        created_by=current_user(),
    )
    profile = _reference(reference, run, pipeline, artifacts, artifact_store)
    text = catalog.add_version(name, choose, new)
    _save_profile(meta, name, text, profile)
    log.info("registered %s:%s from run %s", name, text, run.run_id)
    _record_registration(meta, name, text, new, intended_use, limitations, reason)
    return catalog.get_version(name, text)


def _save_profile(
    meta: MetadataStore, name: str, version: str, profile: tuple[bytes, list[str], int] | None
) -> None:
    if profile is not None:
        import time

        from hyperflow.store import ReferenceProfile, get_monitor_store

        stored = ReferenceProfile(name, version, *profile, "register", time.time())
        get_monitor_store(meta).save_reference(stored)


def _reference(
    reference: Any, run: RunRecord, pipeline: Pipeline | Service, artifacts: Sequence[str],
    artifact_store: ArtifactStore | str | None,
) -> tuple[bytes, list[str], int] | None:
    """Fit the reference profile through the top-level wiring (monitoring fits it)."""
    from hyperflow._reference_hook import fit_reference
    from hyperflow.store import deserialize, project_config
    from hyperflow.store._serialize import PICKLE_FORMATS

    if reference is None:
        reference = project_config().get("reference")
    if reference is None:
        return None
    if isinstance(reference, str):
        record = run.artifacts.get(reference)
        if record is None:
            raise RegistryError(
                f"reference={reference!r} is not an output of run {run.run_id} (outputs: "
                f"{', '.join(sorted(run.artifacts)) or 'none'}); pass a DataFrame or keep it"
            )
        if record.format in PICKLE_FORMATS:  # loading it could run code: never implicitly
            raise RegistryError(
                f"reference={reference!r} is stored with {record.format}; pass the rows as a "
                "DataFrame instead (or store them as parquet)"
            )
        data = get_artifact_store(artifact_store).get(record.digest)
        reference = deserialize(data, record.format)
    fields = [i for i in predict_inputs(pipeline) if i not in artifacts]
    return fit_reference(reference, fields)
def _record_registration(
    meta: MetadataStore,
    name: str,
    version: str,
    new: NewVersion,
    intended_use: str | None,
    limitations: str | None,
    reason: str | None,
) -> None:
    """Store the documentation given at registration and append the audit event."""
    from hyperflow.registry._governance import actor, record_event

    docs = {"intended_use": intended_use, "limitations": limitations}
    fields = {k: v for k, v in docs.items() if v}
    if fields:
        meta.audit_store().set_documentation(name, version, fields, who=actor())
    details = {
        "run_id": new.run_id,
        "predict": new.predict_ref,
        "artifacts": {a: v["digest"] for a, v in new.artifacts.items()},
    }
    record_event(meta, "model.register", f"{name}:{version}", details=details, reason=reason)


def _bind(
    run: RunRecord, pipeline: Pipeline | Service, artifacts: Sequence[str]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The run's stored artifacts bound to the predict inputs, and the names it lacks."""
    inputs = predict_inputs(pipeline)
    missing_inputs = [a for a in artifacts if a not in inputs]
    if missing_inputs:
        what = "service" if isinstance(pipeline, Service) else "predict pipeline"
        raise RegistryError(
            f"{what} {pipeline.name!r} has no input(s) {missing_inputs} to bind the "
            f"artifacts to (its inputs: {inputs})"
        )
    bound = {
        a: {"digest": r.digest, "format": r.format, "size": r.size, "type": r.type}
        for a in artifacts
        if (r := run.artifacts.get(a)) is not None
    }
    return bound, [a for a in artifacts if a not in bound]


def _lineage(run: RunRecord) -> dict[str, Any]:
    recorded = run.lineage or {}
    return {
        "run_id": run.run_id,
        "pipeline": run.pipeline,
        "config": run.config,
        "metrics": run.metrics,
        "code_versions": recorded.get("code_versions", {}),
        "data": recorded.get("inputs", {}),
        "environment": recorded.get("environment", {}),
        "git": recorded.get("git"),
        "seed": recorded.get("seed"),
    }


def _note_recomputed(run_id: str, missing: list[str], lineage: dict[str, Any]) -> None:
    lineage[RECOMPUTED_KEY] = missing
    message = (
        f"recomputed artifact(s) {', '.join(map(repr, missing))} that run {run_id} had "
        f"not stored, at the run's config, and stored them (noted in the version's lineage "
        f"under {RECOMPUTED_KEY!r}); keep them next time with optimize(keep=...)"
    )
    log.warning(message)
    warnings.warn(message, RecomputedArtifactWarning, stacklevel=3)


def _chooser(explicit: SemVer | None, part: Bump) -> Callable[[str | None], tuple[str, str]]:
    """The new version, chosen inside the store's transaction from the newest one."""
    from hyperflow.registry._semver import bump as bump_version

    def choose(newest: str | None) -> tuple[str, str]:
        if explicit is not None:
            chosen = explicit
        else:
            chosen = bump_version(SemVer.parse(newest) if newest else None, part)
        return str(chosen), chosen.sort_key()

    return choose

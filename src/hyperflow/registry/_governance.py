"""Governance records of model versions: documentation, fairness results, the audit log.

Every write action of the registry (register, alias moves, archive, delete,
documentation) and of the prediction log (prune, export, delete) appends one
event to the store's append-only audit log: who (``acting_as``'s name, e.g. a
token's name, else ``$HYPERFLOW_USER``, else the OS user), when, what, why.
The event is written once the action has succeeded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hyperflow._errors import RegistryError
from hyperflow.registry._common import StoreArg
from hyperflow.store import AuditEvent, AuditStore, MetadataStore, acting_as, actor, get_store

__all__ = [
    "acting_as",
    "actor",
    "audit_log",
    "audit_store_of",
    "check_pickle",
    "describe",
    "documentation",
    "fairness_results",
    "pickle_allowed_by_config",
    "pickled_artifacts",
    "record_event",
    "record_fairness",
]

def audit_store_of(store: StoreArg) -> AuditStore:
    """The audit store kept with the metadata store ``store``."""
    return get_store(store).audit_store()


def record_event(
    store: StoreArg | MetadataStore,
    action: str,
    target: str,
    *,
    details: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one event to the audit log of ``store`` (the caller's action has succeeded)."""
    return audit_store_of(store).append(action, target, who=actor(), details=details, reason=reason)


def audit_log(
    *,
    action: str | None = None,
    target: str | None = None,
    who: str | None = None,
    since: float | None = None,
    limit: int | None = None,
    store: StoreArg = None,
) -> list[AuditEvent]:
    """Recorded write actions, oldest first (``action="alias."`` matches a prefix).

    Example:
        >>> import hyperflow as hf
        >>> hf.registry.audit_log(action="alias.", limit=20)  # doctest: +SKIP
    """
    return audit_store_of(store).events(
        action=action, target=target, who=who, since=since, limit=limit
    )


def _version_of(ref: str, store: StoreArg) -> tuple[str, str]:
    from hyperflow.registry._api import get

    mv = get(ref, store=store)
    return mv.name, mv.version


def describe(
    ref: str,
    *,
    intended_use: str | None = None,
    limitations: str | None = None,
    reason: str | None = None,
    store: StoreArg = None,
) -> dict[str, str]:
    """Write a version's intended use and limitations (shown in its model card).

    Only the fields given change; pass ``""`` to clear one. Recorded in the audit log.

    Raises:
        RegistryError: unknown model or version, or no field given.
    """
    fields = {
        k: (v or None)
        for k, v in {"intended_use": intended_use, "limitations": limitations}.items()
        if v is not None
    }
    if not fields:
        raise RegistryError(
            f"describe({ref!r}) got nothing to write; pass intended_use= and/or limitations="
        )
    name, version = _version_of(ref, store)
    docs = audit_store_of(store).set_documentation(name, version, fields, who=actor())
    target = f"{name}:{version}"
    record_event(
        store, "version.describe", target, details={"fields": sorted(fields)}, reason=reason
    )
    return docs


def documentation(ref: str, *, store: StoreArg = None) -> dict[str, str]:
    """A version's user-written fields (``intended_use``, ``limitations``) that are set."""
    name, version = _version_of(ref, store)
    return audit_store_of(store).documentation(name, version)


def record_fairness(ref: str, result: Any, *, store: StoreArg = None) -> None:
    """Record a fairness result (``hf.testing.FairnessResult``) with a version.

    A gate or the model card reads it back with :func:`fairness_results`.
    """
    to_json = getattr(result, "to_json", None)
    if not callable(to_json) or not hasattr(result, "max_difference"):
        raise RegistryError(
            f"record_fairness takes an hf.testing.fairness(...) result, but got "
            f"{type(result).__name__}"
        )
    name, version = _version_of(ref, store)
    audit_store_of(store).record_fairness(name, version, str(to_json()))
    details = {"name": getattr(result, "name", None), "max_difference": result.max_difference}
    record_event(store, "version.fairness", f"{name}:{version}", details=details)


def fairness_results(ref: str, *, store: StoreArg = None) -> list[dict[str, Any]]:
    """Recorded fairness results of a version, newest first: ``result`` (a dict) and ``at``.

    ``hf.testing.FairnessResult.from_json(json.dumps(r["result"]))`` gives the object back.
    """
    name, version = _version_of(ref, store)
    rows = audit_store_of(store).fairness_results(name, version)
    return [{"result": json.loads(r["result"]), "at": r["at"]} for r in rows]


_TRUE = ("1", "true", "yes", "on")


def pickle_allowed_by_config() -> bool:
    """``[tool.hyperflow] allow_pickle = true`` or ``$HYPERFLOW_ALLOW_PICKLE=1``."""
    import os

    from hyperflow.store import project_config

    env = os.environ.get("HYPERFLOW_ALLOW_PICKLE")
    if env is not None:
        return env.strip().lower() in _TRUE
    return project_config().get("allow_pickle") is True


def pickled_artifacts(artifacts: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The artifacts stored in a format whose loading may run code: name -> format."""
    from hyperflow.store import PICKLE_FORMATS

    return {a: str(v["format"]) for a, v in artifacts.items() if v["format"] in PICKLE_FORMATS}


def check_pickle(
    ref: str, artifacts: Mapping[str, Mapping[str, Any]], allow_pickle: bool | None, when: str
) -> bool:
    """Whether ``artifacts`` hold pickle formats; raise ``RegistryError`` unless allowed."""
    risky = pickled_artifacts(artifacts)
    if not risky:
        return False
    allowed = pickle_allowed_by_config() if allow_pickle is None else allow_pickle
    if not allowed:
        listed = ", ".join(f"{a!r} ({f})" for a, f in sorted(risky.items()))
        raise RegistryError(
            f"{when} {ref}: artifact(s) {listed} are stored in a pickle format, and loading "
            "them runs whatever code the bytes name. scikit-learn estimators are stored with "
            "skops (trusted types only) when hyperflow[governance] is installed; for other "
            "objects opt in with allow_pickle=True, `allow_pickle = true` under "
            "[tool.hyperflow], or HYPERFLOW_ALLOW_PICKLE=1"
        )
    return True

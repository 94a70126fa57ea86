"""Traffic policies: split a model's requests between versions (canary) or mirror them (shadow).

A policy is kept in the store (``hf_traffic``), validated here: the weights are percents
that sum to 100 and every key (alias or exact version) and the shadow resolve now. Every
server started on ``NAME@ALIAS`` reads it within its reload poll; every change is an
audit event (``traffic.set`` / ``traffic.clear``).
"""

from __future__ import annotations

import difflib
import math
import time
from collections.abc import Mapping

from hyperflow._errors import RegistryError
from hyperflow.registry._common import StoreArg, catalog_of, check_name
from hyperflow.registry._governance import record_event
from hyperflow.registry._semver import SemVer
from hyperflow.store import RegistryStore, TrafficPolicy, get_traffic_store

__all__ = ["TrafficPolicy", "clear_traffic", "set_traffic", "traffic"]

_TOLERANCE = 1e-6


def resolve_key(catalog: RegistryStore, name: str, key: str) -> str:
    """The version an alias (or exact version) ``key`` of model ``name`` names now.

    Raises:
        RegistryError: unknown alias or version, with the known ones and a "did you mean".
    """
    version = _is_version(key)
    try:
        return catalog.get_version(name, key).version if version else catalog.resolve_alias(
            name, key
        )
    except RegistryError:
        known = catalog.versions(name)  # an unknown model raises here, with its own hint
    if version:
        raise _unknown(name, key, [v.version for v in known], "version") from None
    aliases = sorted({a for v in known for a in v.aliases})
    raise _unknown(name, key, aliases, "alias") from None


def _is_version(key: str) -> bool:
    try:
        SemVer.parse(key)
    except Exception:
        return False
    return True


def _unknown(name: str, key: str, known: list[str], what: str) -> RegistryError:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return RegistryError(
        f"model {name!r} has no {what} {key!r}{hint} (its {what}s: {', '.join(known) or 'none'}); "
        "a traffic policy names aliases (e.g. 'production') or exact versions (e.g. '1.2.0')"
    )


def _check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(weights, Mapping) or not weights:
        raise RegistryError(
            f"weights must be a non-empty mapping of alias -> percent, e.g. "
            f"{{'production': 90, 'candidate': 10}}, but got {weights!r}"
        )
    out: dict[str, float] = {}
    for key, value in weights.items():
        if not isinstance(key, str) or not key:
            raise RegistryError(f"a weight's key must be an alias or version, but got {key!r}")
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise RegistryError(f"the weight of {key!r} must be a number, but got {value!r}")
        if value < 0:
            raise RegistryError(f"weights must be >= 0, but {key!r} has {value!r}")
        out[key] = float(value)
    total = sum(out.values())
    if abs(total - 100.0) > _TOLERANCE:
        raise RegistryError(
            f"weights are percents and must sum to 100, but {out} sums to {total:g}; "
            f"e.g. {{'production': 90, 'candidate': 10}}"
        )
    return out


def set_traffic(
    name: str,
    weights: Mapping[str, float],
    *,
    shadow: str | None = None,
    sticky: str | None = None,
    cause: str | None = None,
    timeout_s: float | None = None,
    store: StoreArg = None,
) -> TrafficPolicy:
    """Split the requests of model ``name`` between aliases (or versions), and/or mirror them.

    Args:
        name: the model.
        weights: alias (or exact version) -> percent; the percents sum to 100. A server
            started on ``name@production`` answers with ``production`` for its share
            (arm ``"primary"``) and with each other key for theirs (arm ``"canary"``).
        shadow: an alias (or version) that gets a copy of every request, off the response
            path; its answers are logged with arm ``"shadow"`` and never returned.
        sticky: a request field (or, if the model has no such field, a header) whose value
            picks the version: the same value always gets the same version.
        cause: why (kept with the policy and in the audit log).
        timeout_s: answer 504 when a routed prediction takes longer (default: 30 s).
        store: the metadata store.

    Returns:
        The stored ``TrafficPolicy``.

    Raises:
        RegistryError: unknown model, alias or version (with "did you mean"), weights that
            are negative or do not sum to 100, an empty ``sticky`` or a bad ``timeout_s``.

    Example:
        >>> import hyperflow as hf
        >>> policy = {"production": 90, "candidate": 10}
        >>> hf.registry.set_traffic("weather", policy, sticky="user_id")  # doctest: +SKIP
    """
    check_name(name)
    checked = _check_weights(weights)
    catalog = catalog_of(store)
    catalog.require_model(name)
    for key in checked:
        resolve_key(catalog, name, key)
    if shadow is not None:
        resolve_key(catalog, name, shadow)
    if sticky is not None and (not isinstance(sticky, str) or not sticky.strip()):
        raise RegistryError(f"sticky must name a request field or header, but got {sticky!r}")
    if timeout_s is not None and not (isinstance(timeout_s, int | float) and timeout_s > 0):
        raise RegistryError(f"timeout_s must be > 0 seconds (or None), but got {timeout_s!r}")
    policy = TrafficPolicy(
        name, checked, shadow=shadow, sticky=sticky, updated_at=time.time(), cause=cause,
        timeout_s=None if timeout_s is None else float(timeout_s),
    )
    get_traffic_store(store).put(policy)
    details = {"weights": checked, "shadow": shadow, "sticky": sticky, "timeout_s": timeout_s}
    record_event(store, "traffic.set", name, details=details, reason=cause)
    return policy


def traffic(name: str, *, store: StoreArg = None) -> TrafficPolicy | None:
    """The traffic policy of model ``name``, or ``None`` (its servers' aliases get everything).

    Raises:
        RegistryError: ``name`` is not a registered model (with "did you mean").
    """
    check_name(name)
    catalog_of(store).require_model(name)
    return get_traffic_store(store).get(name)


def clear_traffic(name: str, *, cause: str | None = None, store: StoreArg = None) -> None:
    """Remove the policy of ``name``: each server's own alias answers everything again.

    Clearing a model without a policy is a no-op (still recorded in the audit log).
    """
    check_name(name)
    catalog_of(store).require_model(name)
    existed = get_traffic_store(store).delete(name)
    record_event(store, "traffic.clear", name, details={"existed": existed}, reason=cause)

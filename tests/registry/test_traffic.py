"""``hf.registry.set_traffic`` / ``traffic`` / ``clear_traffic``: validated, stored, audited."""

from __future__ import annotations

import pytest

import hyperflow as hf
from hyperflow._errors import RegistryError
from tests.serve.traffic_models import register, two_versions


def test_set_read_and_clear_a_policy_with_audit_entries() -> None:
    v1, v2 = two_versions()
    assert hf.registry.traffic("visit") is None
    policy = hf.registry.set_traffic(
        "visit", {"production": 90, "candidate": 10}, sticky="user", cause="canary step 1"
    )
    assert policy.weights == {"production": 90.0, "candidate": 10.0}
    assert hf.registry.traffic("visit") == policy
    shadowed = hf.registry.set_traffic("visit", {"production": 100}, shadow="candidate")
    assert hf.registry.traffic("visit") == shadowed and shadowed.sticky is None
    hf.registry.set_traffic("visit", {v1: 50, v2: 50})  # exact versions are keys too
    hf.registry.clear_traffic("visit", cause="done")
    assert hf.registry.traffic("visit") is None
    events = hf.registry.audit_log(action="traffic.")
    assert [e.action for e in events] == ["traffic.set"] * 3 + ["traffic.clear"]
    assert events[0].target == "visit" and events[0].reason == "canary step 1"
    assert events[0].details["weights"] == {"production": 90.0, "candidate": 10.0}


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"production": 90, "candidate": 20}, "sum to 100, but .* sums to 110"),
        ({"production": 110, "candidate": -10}, "must be >= 0"),
        ({}, "non-empty mapping"),
        ({"production": "90", "candidate": 10}, "must be a number"),
        ({"production": 90, "candidat": 10}, "no alias 'candidat'; did you mean 'candidate'"),
        ({"production": 90, "9.9.9": 10}, "no version '9.9.9'"),
    ],
)
def test_bad_weights_are_refused_with_the_fix(weights: dict[str, object], message: str) -> None:
    two_versions()
    with pytest.raises(RegistryError, match=message):
        hf.registry.set_traffic("visit", weights)  # type: ignore[arg-type]
    assert hf.registry.traffic("visit") is None  # nothing stored


def test_shadow_sticky_timeout_and_model_are_checked() -> None:
    two_versions()
    register(3.0, "other")
    with pytest.raises(RegistryError, match="did you mean 'candidate'"):
        hf.registry.set_traffic("visit", {"production": 100}, shadow="candidates")
    with pytest.raises(RegistryError, match="sticky must name"):
        hf.registry.set_traffic("visit", {"production": 100}, sticky=" ")
    with pytest.raises(RegistryError, match="timeout_s must be > 0"):
        hf.registry.set_traffic("visit", {"production": 100}, timeout_s=0)
    with pytest.raises(RegistryError, match="did you mean 'visit'"):
        hf.registry.set_traffic("visits", {"production": 100})
    assert hf.registry.traffic("visit") is None

"""The conformance suite of :class:`~hyperflow.store.TrafficStore`, run on every backend.

Subclass it in a test module and provide a fresh, empty ``traffic_store``::

    class TestMyTrafficStore(TrafficStoreSuite):
        @pytest.fixture
        def traffic_store(self):
            return MyTrafficStore(...)

Requires pytest.
"""

from __future__ import annotations

import threading

import pytest

from hyperflow._errors import StoreError
from hyperflow.store._traffic import TrafficPolicy, TrafficStore

__all__ = ["TrafficStoreSuite"]


class TrafficStoreSuite:
    """Behaviour every ``TrafficStore`` must have."""

    @pytest.fixture
    def traffic_store(self) -> TrafficStore:
        raise NotImplementedError("provide a fresh, empty TrafficStore")

    def test_round_trip_replace_and_delete(self, traffic_store: TrafficStore) -> None:
        assert traffic_store.get("m") is None
        first = TrafficPolicy(
            "m", {"production": 90.0, "candidate": 10.0}, shadow="shadowed", sticky="user_id",
            updated_at=1.5, cause="rollout step 1", timeout_s=2.5,
        )
        traffic_store.put(first)
        got = traffic_store.get("m")
        assert got == first and got is not None and got.timeout_s == 2.5
        second = TrafficPolicy("m", {"production": 100.0}, updated_at=2.0)
        traffic_store.put(second)
        assert traffic_store.get("m") == second
        assert first.weights == {"production": 90.0, "candidate": 10.0}  # reads stay as read
        traffic_store.put(TrafficPolicy("a", {"x": 100.0}, updated_at=3.0))
        assert [p.name for p in traffic_store.policies()] == ["a", "m"]
        assert traffic_store.delete("m") is True
        assert traffic_store.delete("m") is False
        assert traffic_store.get("m") is None and traffic_store.get("a") is not None

    def test_a_policy_needs_a_model_name(self, traffic_store: TrafficStore) -> None:
        with pytest.raises(StoreError, match="model name"):
            traffic_store.put(TrafficPolicy("", {"production": 100.0}))

    def test_concurrent_writers_leave_one_whole_policy(self, traffic_store: TrafficStore) -> None:
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []

        def writer(i: int) -> None:
            barrier.wait()
            try:
                for j in range(5):
                    traffic_store.put(
                        TrafficPolicy("m", {f"a{i}": 100.0 - j, f"b{i}": float(j)}, updated_at=j)
                    )
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        got = traffic_store.get("m")
        assert got is not None and len(got.weights) == 2 and sum(got.weights.values()) == 100.0
        assert len({k[1:] for k in got.weights}) == 1  # both keys from one writer
        assert len(traffic_store.policies()) == 1

"""The conformance suite of :class:`~hyperflow.store.LeaseStore`, run on every backend.

Subclass it and provide ``lease_url`` (a store URL) and a fresh ``lease_store`` on it::

    class TestMyLeases(LeaseStoreSuite):
        @pytest.fixture
        def lease_store(self, lease_url):
            return get_lease_store(lease_url)

Requires pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hyperflow._errors import StoreError
from hyperflow.store._leases import ActionStatus, LeaseStore

__all__ = ["LeaseStoreSuite"]

_RACER = """
import sys, time
from hyperflow.store import get_lease_store
leases = get_lease_store(sys.argv[1])
start = float(sys.argv[3])
while time.time() < start:
    pass
print("won" if leases.acquire("model:race", sys.argv[2], 60.0) else "lost", flush=True)
"""


class LeaseStoreSuite:
    """Tests every :class:`LeaseStore` must pass."""

    def test_one_owner_at_a_time_and_the_holder_extends(self, lease_store: LeaseStore) -> None:
        first = lease_store.acquire("model:m", "a", 30.0)
        assert first is not None and first.owner == "a"
        assert lease_store.acquire("model:m", "b", 30.0) is None
        again = lease_store.acquire("model:m", "a", 60.0)
        assert again is not None and again.acquired_at == first.acquired_at
        assert again.expires_at > first.expires_at
        assert lease_store.acquire("model:other", "b", 30.0) is not None
        held = lease_store.holder("model:m")
        assert held is not None and held.owner == "a"

    def test_an_expired_lease_goes_to_the_next_owner(self, lease_store: LeaseStore) -> None:
        assert lease_store.acquire("model:m", "a", 0.2) is not None
        time.sleep(0.3)
        assert lease_store.holder("model:m") is None
        assert not lease_store.renew("model:m", "a", 30.0)  # lost: renewing is refused
        taken = lease_store.acquire("model:m", "b", 30.0)
        assert taken is not None and taken.owner == "b"
        assert not lease_store.release("model:m", "a")
        assert lease_store.release("model:m", "b")
        assert lease_store.holder("model:m") is None

    def test_renew_and_expire(self, lease_store: LeaseStore) -> None:
        lease_store.acquire("model:m", "a", 0.2)
        assert lease_store.renew("model:m", "a", 30.0)
        time.sleep(0.3)
        assert lease_store.holder("model:m") is not None  # renewed past the first ttl
        lease_store.acquire("model:n", "a", 0.1)
        time.sleep(0.2)
        assert lease_store.expire() == 1
        assert lease_store.acquire("model:n", "b", 30.0) is not None

    def test_threads_racing_get_exactly_one_winner(self, lease_store: LeaseStore) -> None:
        won: list[str] = []
        gate = threading.Barrier(6)

        def race(i: int) -> None:
            gate.wait()
            if lease_store.acquire("model:t", f"w{i}", 30.0) is not None:
                won.append(f"w{i}")

        threads = [threading.Thread(target=race, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1

    @pytest.mark.slow
    def test_processes_racing_get_exactly_one_winner(
        self, lease_store: LeaseStore, lease_url: str, tmp_path: Path
    ) -> None:
        lease_store.holder("model:race")  # schema in place before the racers start
        script = tmp_path / "racer.py"
        script.write_text(_RACER, encoding="utf-8")
        start = time.time() + 2.5  # every racer imported and waiting
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        procs = [
            subprocess.Popen(
                [sys.executable, str(script), lease_url, f"p{i}", str(start)],
                stdout=subprocess.PIPE, text=True, env=env,
            )
            for i in range(3)
        ]
        outs = [p.communicate(timeout=60)[0].strip() for p in procs]
        assert sorted(outs) == ["lost", "lost", "won"], outs

    def test_actions_run_then_finish_once(self, lease_store: LeaseStore) -> None:
        act = lease_store.start_action("m", "rollout", {"step": 0}, owner="a")
        assert act.status is ActionStatus.RUNNING and act.state == {"step": 0}
        moved = lease_store.update_action(act.id, {"step": 1}, owner="b")
        assert moved.state == {"step": 1} and moved.owner == "b"
        assert act.state == {"step": 0}  # a returned record is never changed
        other = lease_store.start_action("m", "retrain", {})
        assert [a.id for a in lease_store.unfinished("m")] == [act.id, other.id]
        assert [a.id for a in lease_store.unfinished("m", kind="retrain")] == [other.id]
        done = lease_store.finish_action(act.id, ActionStatus.DONE, {"step": 2})
        assert done.status is ActionStatus.DONE and done.state == {"step": 2}
        assert [a.id for a in lease_store.unfinished()] == [other.id]
        with pytest.raises(StoreError, match="already done"):
            lease_store.finish_action(act.id, ActionStatus.REVERTED)
        with pytest.raises(StoreError, match="already done"):
            lease_store.update_action(act.id, {"step": 3})
        with pytest.raises(StoreError, match="final status"):
            lease_store.finish_action(other.id, ActionStatus.RUNNING)
        assert [a.kind for a in lease_store.actions("m")] == ["rollout", "retrain"]
        assert [a.kind for a in lease_store.actions("m", limit=1)] == ["retrain"]
        with pytest.raises(StoreError, match="no action"):
            lease_store.get_action(10_000)

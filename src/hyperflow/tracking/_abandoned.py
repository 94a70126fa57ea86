"""Finding runs whose owner died (SIGKILL, power loss) and closing them as failed."""

from __future__ import annotations

import os
import time

from hyperflow.store import MetadataStore
from hyperflow.tracking._active import HOST, heartbeat_seconds

__all__ = ["owner_alive", "reap_abandoned"]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_alive(host: str | None, pid: int | None, heartbeat: float | None, now: float) -> bool:
    """Whether a running run's owner may still be alive.

    On this host the pid is checked; elsewhere the heartbeat must be younger than
    ``HYPERFLOW_HEARTBEAT_TIMEOUT`` seconds (default: 6 heartbeats, at least 60 s).
    """
    if host == HOST and pid is not None and not _pid_alive(pid):
        return False
    timeout = float(
        os.environ.get("HYPERFLOW_HEARTBEAT_TIMEOUT", max(60.0, 6 * heartbeat_seconds()))
    )
    return heartbeat is None or now - heartbeat < timeout


def reap_abandoned(store: MetadataStore) -> list[str]:
    """Mark runs whose owner is gone as ``failed`` (abandoned); return their ids."""
    now = time.time()
    reaped = []
    for run in store.running_runs():
        if owner_alive(run.host, run.pid, run.heartbeat, now):
            continue
        last = run.heartbeat or run.start_time
        store.end_run(
            run.run_id,
            status="failed",
            end_time=last,
            error=(
                f"abandoned: its process (pid {run.pid} on {run.host}) ended without closing "
                f"the run; last heartbeat {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(last))}"
                " UTC"
            ),
            expected_status="running",
        )
        reaped.append(run.run_id)
    return reaped

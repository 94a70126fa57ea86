"""Trials left RUNNING by a process that died: found and marked failed, with the reason.

Every process that runs trials of a durable study records itself (host, pid) in the
study's ``hf_processes`` attribute and stamps each trial it asks with ``hf_host`` /
``hf_pid``. A trial stamped by a dead process of this host was abandoned; so was an
unstamped one (its process died between Optuna's ``ask`` and the stamp) when no other
process of the study may still be alive.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import TYPE_CHECKING

from hyperflow.optimize._loop import tell_state

if TYPE_CHECKING:
    import optuna

__all__ = ["recover_abandoned"]

log = logging.getLogger("hyperflow.optimize")


def _join(ostudy: optuna.Study, now: float) -> bool:
    """Record this process among the study's; whether another one may still be alive."""
    from hyperflow.tracking import owner_alive

    me = [socket.gethostname(), os.getpid()]
    known = ostudy.user_attrs.get("hf_processes") or []
    others = [
        [host, pid]
        for host, pid in known
        if [host, pid] != me and owner_alive(host, pid, None, now)  # dead ones of this host go
    ]
    ostudy.set_user_attr("hf_processes", [*others, me])
    return bool(others)


def _reason(trial: optuna.trial.FrozenTrial, others_alive: bool, now: float) -> str | None:
    """Why ``trial`` (RUNNING) was abandoned, or ``None`` when its process may be running it."""
    from hyperflow.tracking import owner_alive

    pid = trial.user_attrs.get("hf_pid")
    if isinstance(pid, int):
        if owner_alive(trial.user_attrs.get("hf_host"), pid, None, now):
            return None
        return f"abandoned: process {pid} died while running it"
    if others_alive:  # it may be another process's, between ask and stamp
        return None
    return "abandoned: its process died while starting it"


def recover_abandoned(ostudy: optuna.Study) -> int:
    """Mark trials left RUNNING by dead processes as failed; return how many.

    The reason goes to the study's user attribute ``hf_error:<number>`` (Optuna's
    public API sets trial attributes only through a live ``Trial``).
    """
    import optuna

    now = time.time()
    others_alive = _join(ostudy, now)
    n = 0
    for t in ostudy.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        reason = _reason(t, others_alive, now)
        if reason is not None:
            ostudy.set_user_attr(f"hf_error:{t.number}", reason)
            tell_state(ostudy, t.number, state=optuna.trial.TrialState.FAIL)
            n += 1
    if n:
        log.warning("study %s: %d abandoned trial(s) marked failed", ostudy.study_name, n)
    return n

"""Tracking: every pipeline run and every ``hf.start_run`` recorded, with lineage.

``hf.start_run`` opens a run for hand logging; :class:`TrackingHook` records
``Pipeline.run`` automatically; :mod:`hyperflow.tracking.runs` (``hf.runs``)
reads them back.
"""

from hyperflow.tracking import runs
from hyperflow.tracking._abandoned import owner_alive, reap_abandoned
from hyperflow.tracking._active import ActiveRun, active_run, open_run, start_run
from hyperflow.tracking._hook import TrackingHook
from hyperflow.tracking._lineage import environment, git_state

__all__ = [
    "ActiveRun",
    "TrackingHook",
    "active_run",
    "environment",
    "git_state",
    "open_run",
    "owner_alive",
    "reap_abandoned",
    "runs",
    "start_run",
]

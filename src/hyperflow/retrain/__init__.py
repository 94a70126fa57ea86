"""Continuous training: retrain from cache, the champion/challenger gate, events.

* :func:`retrain` (also ``hf.retrain(...)``: this package is callable) refits or
  re-searches a model on current data, scores challenger and champion on the same
  fresh holdout and decides through the gate (``[tool.hyperflow.gate]``);
* :func:`gate_decisions` lists a model's stored decisions;
* :func:`record_event` / :func:`events`: the chain of what happened and why.

Example:
    >>> import hyperflow as hf
    >>> callable(hf.retrain)
    True
"""

from __future__ import annotations

import sys
import types
from typing import Any as _Any

from hyperflow.retrain._agent import Agent, PassReport
from hyperflow.retrain._config import RolloutConfig, rollout_config
from hyperflow.retrain._events import EVENT_KINDS, Event, events, record_event
from hyperflow.retrain._gate import RuleResult
from hyperflow.retrain._gate_config import FairnessRule, GateConfig, RetrainConfig, SliceRule
from hyperflow.retrain._retrain import Decision, gate_decisions, retrain
from hyperflow.retrain._retrain_run import INPUTS_TAG
from hyperflow.retrain._rollout import (
    RolloutState,
    abort_rollout,
    end_traffic_split,
    rollout,
    rollout_status,
    rollout_tick,
)
from hyperflow.store import GateDecisionRecord

__all__ = [
    "EVENT_KINDS",
    "INPUTS_TAG",
    "Agent",
    "Decision",
    "Event",
    "FairnessRule",
    "GateConfig",
    "GateDecisionRecord",
    "PassReport",
    "RetrainConfig",
    "RolloutConfig",
    "RolloutState",
    "RuleResult",
    "SliceRule",
    "abort_rollout",
    "end_traffic_split",
    "events",
    "gate_decisions",
    "record_event",
    "retrain",
    "rollout",
    "rollout_config",
    "rollout_status",
    "rollout_tick",
]


class _CallableModule(types.ModuleType):
    """``hf.retrain`` is this package and, called, the :func:`retrain` function."""

    def __call__(self, *args: _Any, **kwargs: _Any) -> Decision:
        return retrain(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

"""The calls the rollout and the agent make into the traffic policy and retraining, in one
place: ``hf.registry.set_traffic`` / ``traffic`` / ``clear_traffic`` (the server's routing)
and ``hf.retrain`` (the gate). Thin on purpose: each forwards to the real implementation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hyperflow.retrain._retrain import Decision

__all__ = ["clear_traffic", "retrain", "set_traffic", "traffic"]


def set_traffic(
    name: str, weights: Mapping[str, float], *, shadow: str | None, cause: str, store: Any
) -> None:
    """Route ``name``'s requests by ``weights`` (percent per alias or version)."""
    from hyperflow import registry

    registry.set_traffic(name, dict(weights), shadow=shadow, cause=cause, store=store)


def traffic(name: str, *, store: Any) -> Any:
    """``name``'s traffic policy, or ``None`` when the server's alias gets everything."""
    from hyperflow import registry

    return registry.traffic(name, store=store)


def clear_traffic(name: str, *, cause: str, store: Any) -> None:
    """Back to "the server's alias gets everything"."""
    from hyperflow import registry

    registry.clear_traffic(name, cause=cause, store=store)


def retrain(name: str, *, cause: int | None, store: Any, **options: Any) -> Decision:
    """Retrain and gate ``name`` (``hf.retrain``); returns its ``Decision``."""
    from hyperflow.retrain._retrain import retrain as run

    return run(name, cause=cause, store=store, **options)

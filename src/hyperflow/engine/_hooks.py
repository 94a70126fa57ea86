"""Lifecycle hooks: how tracking, caching reports and progress attach to a run.

Hooks receive keyword-only arguments, so new arguments can be added without
breaking existing hooks (the pattern of Hamilton's lifecycle API). Every
method is a no-op by default; override what you need.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hyperflow.core import Pipeline, Plan
    from hyperflow.engine._result import RunResult

__all__ = ["RunHook"]


class RunHook:
    """Base class of run lifecycle hooks. A hook must not raise; errors are logged."""

    def run_started(
        self,
        *,
        run_id: str,
        pipeline: Pipeline,
        plan: Plan,
        inputs: Mapping[str, Any],
        **_: Any,
    ) -> None:
        """Called once the plan is built, before any node runs."""

    def node_finished(
        self,
        *,
        run_id: str,
        key: str,
        seconds: float,
        cache_hit: bool,
        code_version: str | None = None,
        **_: Any,
    ) -> None:
        """Called after each node (nested nodes report ``"outer.inner"`` keys)."""

    def run_finished(
        self,
        *,
        run_id: str,
        result: RunResult,
        error: BaseException | None,
        **_: Any,
    ) -> None:
        """Called at the end; ``error`` is set (and ``result.failed_node``) when it failed."""

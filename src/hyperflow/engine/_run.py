"""Running a pipeline end to end: plan, execute, report to hooks."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

from hyperflow._errors import NodeError
from hyperflow._ids import random_id
from hyperflow.core import NestedStep, Pipeline, Plan
from hyperflow.engine._cache import Cache
from hyperflow.engine._codeversion import node_version
from hyperflow.engine._execute import Execution
from hyperflow.engine._fingerprint import fingerprint
from hyperflow.engine._hooks import RunHook
from hyperflow.engine._result import RunResult

__all__ = ["execute_pipeline", "new_run_id"]

log = logging.getLogger("hyperflow.engine")


def plan_code_versions(plan: Plan, prefix: str = "") -> dict[str, str]:
    """The code version of every node ``plan`` executes (nested as ``"outer.inner"``)."""
    out: dict[str, str] = {}
    stack: list[tuple[Plan, str]] = [(plan, prefix)]
    while stack:
        p, pre = stack.pop()
        for step in p.steps:
            key = pre + step.node.key
            if isinstance(step, NestedStep):
                stack.append((step.inner, key + "."))
            else:
                out[key] = node_version(step.node.func, step.node.version)
    return out


def input_fingerprints(inputs: Mapping[str, Any]) -> dict[str, str]:
    """Content fingerprints of a run's inputs: the data version (unfingerprintable: skipped)."""
    out: dict[str, str] = {}
    for name, value in inputs.items():
        try:
            out[name] = fingerprint(value)
        except Exception:
            log.debug("cannot fingerprint input %r", name, exc_info=True)
    return out


def new_run_id() -> str:
    """A random 128-bit run id in hex (``hyperflow._ids.random_id``: pooled OS randomness).

    Every pipeline call gets one, served predictions included, where a system call
    per request is a measurable share of the request.
    """
    return random_id()


def execute_pipeline(
    pipeline: Pipeline,
    *,
    inputs: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    outputs: str | Sequence[str] | None = None,
    executor: Executor | None = None,
    hooks: Sequence[RunHook] = (),
    run_id: str | None = None,
    cache: Cache | None = None,
) -> RunResult:
    """Validate, plan and execute; the engine-level entry behind ``Pipeline.run``.

    ``cache`` is a resolved cache (see ``get_cache``) or ``None`` for no caching.
    """
    inputs = dict(inputs or {})
    plan = pipeline.plan(config, outputs, inputs)
    run_id = run_id or new_run_id()
    ex = Execution(run_id=run_id, executor=executor, hooks=hooks, cache=cache)
    lineage: dict[str, Any] = {}
    if any(getattr(h, "wants_lineage", False) for h in hooks):
        lineage = {
            "code_versions": plan_code_versions(plan),
            "input_fingerprints": input_fingerprints(inputs),
        }
    for h in hooks:
        try:
            h.run_started(run_id=run_id, pipeline=pipeline, plan=plan, inputs=inputs, **lineage)
        except Exception:
            log.exception("hook %r failed in run_started", h)
    try:
        values = ex.run(plan, inputs)
    except BaseException as exc:
        failed = exc.node if isinstance(exc, NodeError) else None
        partial = RunResult(
            {},
            run_id=run_id,
            pipeline=pipeline.name,
            config=plan.config,
            timings=ex.timings,
            cache_hits=ex.cache_hits,
            failed_node=failed,
            source=pipeline,
        )
        if isinstance(exc, NodeError) and exc.result is None:
            exc.result = partial
        _finish(hooks, run_id, partial, exc)
        raise
    result = RunResult(
        {o: values[o] for o in plan.outputs},
        run_id=run_id,
        pipeline=pipeline.name,
        config=plan.config,
        timings=ex.timings,
        cache_hits=ex.cache_hits,
        source=pipeline,
    )
    _finish(hooks, run_id, result, None)
    return result


def _finish(
    hooks: Sequence[RunHook], run_id: str, result: RunResult, error: BaseException | None
) -> None:
    for h in hooks:
        try:
            h.run_finished(run_id=run_id, result=result, error=error)
        except Exception:
            log.exception("hook %r failed in run_finished", h)

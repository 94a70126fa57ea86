"""Executing a plan: a lean sequential loop, or a ready-queue over any Executor.

Both are iterative. In the sequential loop the per-node cost is one kwargs
dict, one call and two clock reads. With an executor, every node whose inputs
are ready is submitted at once, so independent branches overlap and the wall
time approaches the longest path.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from time import perf_counter
from typing import Any

from hyperflow._errors import NodeCheckError, NodeError
from hyperflow.core import NestedNode, Plan, Step
from hyperflow.engine._cache import Cache
from hyperflow.engine._cached import CacheState
from hyperflow.engine._check import apply_check, describe_check_failure
from hyperflow.engine._codeversion import node_version
from hyperflow.engine._hooks import RunHook

__all__ = ["Execution", "call_node"]

log = logging.getLogger("hyperflow.engine")


def call_node(func: Any, kwargs: dict[str, Any]) -> tuple[Any, float]:
    """Call a node function and time it (runs in executor workers too)."""
    t0 = perf_counter()
    value = func(**kwargs)
    return value, perf_counter() - t0


def _fail(key: str, exc: BaseException) -> NodeError:
    err = NodeError(f"node {key!r} failed: {type(exc).__name__}: {exc}", node=key)
    err.__cause__ = exc
    return err


def run_check(key: str, check: Any, value: Any) -> None:
    """Apply a node's declared check to its output, raising ``NodeCheckError``."""
    try:
        apply_check(check, value)
    except Exception as exc:
        err = NodeCheckError(
            f"output of node {key!r} failed its check: {describe_check_failure(exc)}", node=key
        )
        raise err from exc


class Execution:
    """State of one run: values, timings, cache hits, hooks. Nested plans share it."""

    __slots__ = ("cache", "cache_hits", "executor", "hooks", "run_id", "timings")

    def __init__(
        self,
        *,
        run_id: str,
        executor: Executor | None = None,
        hooks: Sequence[RunHook] = (),
        cache: Cache | None = None,
    ) -> None:
        self.run_id = run_id
        self.executor = executor
        self.hooks = tuple(hooks)
        self.cache = cache
        self.timings: dict[str, float] = {}
        self.cache_hits: dict[str, bool] = {}

    # -- bookkeeping ---------------------------------------------------------------------
    def _finished(
        self, key: str, seconds: float, hit: bool, step: Step, version: str | None = None
    ) -> None:
        self.timings[key] = self.timings.get(key, 0.0) + seconds
        self.cache_hits[key] = hit
        if not self.hooks:
            return
        if version is None and step.inner is None:
            try:
                version = node_version(step.node.func, step.node.version)  # type: ignore[attr-defined]
            except Exception:  # pragma: no cover - a version is informative only
                log.exception("cannot compute the code version of %r", key)
        for h in self.hooks:
            try:
                h.node_finished(
                    run_id=self.run_id,
                    key=key,
                    seconds=seconds,
                    cache_hit=hit,
                    code_version=version,
                )
            except Exception:  # a hook must never break a run
                log.exception("hook %r failed in node_finished", h)

    def _store(self, values: dict[str, Any], step: Step, key: str, value: Any) -> None:
        node = step.node
        if node.check is not None:
            run_check(key, node.check, value)
        provides = node.provides
        if len(provides) == 1:
            values[provides[0]] = value
        else:
            values.update(zip(provides, value, strict=True))

    # -- entry point ---------------------------------------------------------------------
    def run(self, plan: Plan, inputs: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
        """Execute ``plan`` and return every value it computed (inputs included)."""
        if self.executor is None:
            if self.cache is None:
                return self._run_sequential(plan, dict(inputs), prefix)
            return self._run_cached(plan, dict(inputs), prefix, self.cache)
        return self._run_concurrent(plan, dict(inputs), prefix, self.executor)

    def _kwargs(self, step: Step, values: dict[str, Any]) -> dict[str, Any]:
        kwargs = dict(step.consts) if step.consts else {}
        for p, src in step.args:
            kwargs[p] = values[src]
        return kwargs

    def _run_sequential(self, plan: Plan, values: dict[str, Any], prefix: str) -> dict[str, Any]:
        timings = self.timings
        hits = self.cache_hits
        hooks = self.hooks
        for step in plan.steps:
            node = step.node
            key = prefix + node.key if prefix else node.key
            kwargs = dict(step.consts) if step.consts else {}
            for p, src in step.args:
                kwargs[p] = values[src]
            if step.inner is not None:
                t0 = perf_counter()
                value: Any = self._run_nested(step, kwargs, key)
                seconds = perf_counter() - t0
            else:
                t0 = perf_counter()
                try:
                    value = node.func(**kwargs)  # type: ignore[attr-defined]
                except Exception as exc:
                    raise _fail(key, exc) from exc
                seconds = perf_counter() - t0
            if node.check is not None or len(node.provides) != 1:
                self._store(values, step, key, value)
            else:
                values[node.provides[0]] = value
            if hooks:
                self._finished(key, seconds, False, step)
            else:
                timings[key] = timings.get(key, 0.0) + seconds
                hits[key] = False
        return values

    def _computer(self, prefix: str) -> Any:
        def compute(step: Step, kwargs: dict[str, Any]) -> Any:
            key = prefix + step.node.key
            try:
                value = step.node.func(**kwargs)  # type: ignore[attr-defined]
            except Exception as exc:
                raise _fail(key, exc) from exc
            if step.node.check is not None:
                run_check(key, step.node.check, value)
            return value

        return compute

    def _run_cached(
        self, plan: Plan, values: dict[str, Any], prefix: str, cache: Cache
    ) -> dict[str, Any]:
        """The sequential loop with cache look-ups; hit values are loaded only when needed."""
        compute = self._computer(prefix)
        st = CacheState(cache, plan.steps, values, compute)
        for step in plan.steps:
            node = step.node
            key = prefix + node.key
            t0 = perf_counter()
            if step.inner is not None or not node.cache:
                kwargs = st.kwargs(step)
                t0 = perf_counter()
                if step.inner is not None:
                    value: Any = self._run_nested(step, kwargs, key)
                    self._store(values, step, key, value)
                else:
                    values[node.provides[0]] = compute(step, kwargs)
                self._finished(key, perf_counter() - t0, False, step)
                continue
            version = st.version(step)
            ck = st.key(step, version)
            if st.hit(step, ck):
                self._finished(key, perf_counter() - t0, True, step, version)
                continue
            kwargs = st.kwargs(step)
            t0 = perf_counter()
            value = compute(step, kwargs)
            seconds = perf_counter() - t0
            values[node.provides[0]] = value
            st.save(step, ck, value)
            self._finished(key, seconds, False, step, version)
        st.materialize(list(plan.outputs))
        return values

    def _run_concurrent(
        self, plan: Plan, values: dict[str, Any], prefix: str, executor: Executor
    ) -> dict[str, Any]:
        steps = plan.steps
        producer_of: dict[str, int] = {}
        for i, s in enumerate(steps):
            for out in s.node.provides:
                producer_of[out] = i
        waiting: list[int] = [0] * len(steps)
        users: list[list[int]] = [[] for _ in steps]
        for i, s in enumerate(steps):
            for _, src in s.args:
                j = producer_of.get(src)
                if j is not None:
                    waiting[i] += 1
                    users[j].append(i)
        ready = [i for i, w in enumerate(waiting) if w == 0]
        running: dict[Future[tuple[Any, float]], int] = {}
        cache = self.cache
        st = None if cache is None else CacheState(cache, steps, values, self._computer(prefix))
        keys: dict[int, tuple[str, str | None]] = {}  # step -> (code version, cache key)

        def release(i: int) -> None:
            for u in users[i]:
                waiting[u] -= 1
                if waiting[u] == 0:
                    ready.append(u)

        try:
            while ready or running:
                while ready:
                    i = ready.pop(0)
                    step = steps[i]
                    key = prefix + step.node.key
                    if st is not None and step.inner is None and step.node.cache:
                        t0 = perf_counter()
                        version = st.version(step)
                        ck = st.key(step, version)
                        if st.hit(step, ck):  # looked up here, in the coordinator
                            self._finished(key, perf_counter() - t0, True, step, version)
                            release(i)
                            continue
                        keys[i] = (version, ck)
                    kwargs = self._kwargs(step, values) if st is None else st.kwargs(step)
                    if step.inner is not None:  # nested: run inline, it uses the executor too
                        t0 = perf_counter()
                        value = self._run_nested(step, kwargs, key)
                        self._store(values, step, key, value)
                        self._finished(key, perf_counter() - t0, False, step)
                        release(i)
                        continue
                    try:
                        fut = executor.submit(call_node, step.node.func, kwargs)  # type: ignore[attr-defined]
                    except (pickle.PicklingError, TypeError, AttributeError) as exc:
                        raise _unpicklable(key, exc) from exc
                    running[fut] = i
                if not running:
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    i = running.pop(fut)
                    step = steps[i]
                    key = prefix + step.node.key
                    try:
                        value, seconds = fut.result()
                    except pickle.PicklingError as exc:
                        raise _unpicklable(key, exc) from exc
                    except Exception as exc:
                        if _looks_unpicklable(exc):
                            raise _unpicklable(key, exc) from exc
                        raise _fail(key, exc) from exc
                    self._store(values, step, key, value)
                    done_version: str | None = None
                    if st is not None and i in keys:
                        done_version, ck = keys.pop(i)
                        st.save(step, ck, value)
                    self._finished(key, seconds, False, step, done_version)
                    release(i)
            if st is not None:
                st.materialize(list(plan.outputs))
        finally:
            for fut in running:
                fut.cancel()
        return values

    def _run_nested(self, step: Step, kwargs: dict[str, Any], key: str) -> Any:
        node = step.node
        assert isinstance(node, NestedNode) and step.inner is not None
        inner_inputs = {node.input_map[p]: v for p, v in kwargs.items()}
        inner_outs = list(node.inner_outputs)
        if not node.map_over:
            vals = self.run(step.inner, inner_inputs, key + ".")
            got = [vals[o] for o in inner_outs]
            return got[0] if len(got) == 1 else tuple(got)
        mapped = [node.input_map[m] for m in node.map_over]
        lists = []
        for outer, inner in zip(node.map_over, mapped, strict=True):
            seq = inner_inputs[inner]
            try:
                lists.append(list(seq))
            except TypeError as exc:
                raise NodeError(
                    f"node {key!r} maps over {outer!r}, which must be a list (or iterable), "
                    f"but got {type(seq).__name__}",
                    node=key,
                ) from exc
        lengths = {len(x) for x in lists}
        if len(lengths) > 1:
            raise NodeError(
                f"node {key!r} maps over {list(node.map_over)} zipped, but their lengths "
                f"differ: {[len(x) for x in lists]}",
                node=key,
            )
        results: list[list[Any]] = [[] for _ in inner_outs]
        for items in zip(*lists, strict=True):
            call_inputs = dict(inner_inputs)
            call_inputs.update(zip(mapped, items, strict=True))
            vals = self.run(step.inner, call_inputs, key + ".")
            for bucket, o in zip(results, inner_outs, strict=True):
                bucket.append(vals[o])
        return results[0] if len(results) == 1 else tuple(results)


def _looks_unpicklable(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}".lower()
    return "pickle" in text or "can't get local object" in text or "can't get attribute" in text


def _unpicklable(key: str, exc: BaseException) -> NodeError:
    return NodeError(
        f"node {key!r} cannot be sent to a process executor: {type(exc).__name__}: {exc}; "
        "define the function at module level (no lambdas or closures) and make its inputs "
        "picklable, or use a thread executor",
        node=key,
    )

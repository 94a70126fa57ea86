"""Executing a plan: one step function, driven inline or over any Executor.

Every step goes through the same two halves: ``_begin`` (cache look-up, nested
pipelines, arguments) and ``_end`` (check, store, cache save, timings, hooks).
Without an executor the steps run inline between the two, in plan order; the
per-node cost is one kwargs dict, one call and two clock reads. With an
executor, every step whose inputs are ready is submitted at once, so
independent branches overlap and the wall time approaches the longest path.
Both drivers are iterative.
"""

from __future__ import annotations

import logging
import pickle
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from time import perf_counter
from typing import Any

from hyperflow._errors import NodeCheckError, NodeError
from hyperflow.core import NestedStep, Plan, Step
from hyperflow.engine._cache import Cache
from hyperflow.engine._cached import CacheState
from hyperflow.engine._check import apply_check, describe_check_failure
from hyperflow.engine._codeversion import node_version
from hyperflow.engine._flight import claim, flying
from hyperflow.engine._hooks import RunHook

__all__ = ["Execution", "call_node"]

log = logging.getLogger("hyperflow.engine")

# A function step ready to call: (step, node key, kwargs, code version, cache key).
_Call = tuple[Step, str, dict[str, Any], str | None, str | None]


def call_node(func: Callable[..., Any], kwargs: dict[str, Any]) -> tuple[Any, float]:
    """Call a node function and time it (runs in executor workers too)."""
    t0 = perf_counter()
    value = func(**kwargs)
    return value, perf_counter() - t0


def _fail(key: str, exc: BaseException) -> NodeError:
    err = NodeError(f"node {key!r} failed: {type(exc).__name__}: {exc}", node=key)
    err.__cause__ = exc
    return err


def _call_inline(step: Step, kwargs: dict[str, Any], key: str) -> tuple[Any, float]:
    try:
        return call_node(step.node.func, kwargs)
    except Exception as exc:
        raise _fail(key, exc) from exc


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

    # -- entry point ---------------------------------------------------------------------
    def run(self, plan: Plan, inputs: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
        """Execute ``plan`` and return every value it computed (inputs included)."""
        values = dict(inputs)
        cache = self.cache
        st = None if cache is None else CacheState(cache, values, _recompute(prefix))
        if self.executor is None:
            begin, end, clock = self._begin, self._end, perf_counter  # the hot loop
            for step in plan.steps:
                call = begin(step, values, prefix, st)
                if call is None:
                    continue
                if call[4] is not None and flying():  # a miss other runs may share
                    self._call_claimed(call, values, st)
                    continue
                t0 = clock()  # call_node, inlined
                try:
                    value = call[0].node.func(**call[2])
                except Exception as exc:
                    raise _fail(call[1], exc) from exc
                end(call, value, clock() - t0, values, st)
        else:
            self._run_concurrent(plan.steps, values, prefix, st, self.executor)
        if st is not None:
            st.materialize(list(plan.outputs))
        return values

    def _call_claimed(self, call: _Call, values: dict[str, Any], st: CacheState | None) -> None:
        """Compute a missed step under its single-flight lock; a run that computed it
        while this one waited leaves a hit to load instead."""
        step, key, kwargs, version, ck = call
        flight = None if st is None or ck is None else claim(st.cache, ck)
        try:
            if flight is not None and st is not None and st.hit(step, ck):
                self._finished(key, 0.0, True, step, version)
                return
            value, seconds = _call_inline(step, kwargs, key)
            self._end(call, value, seconds, values, st)
        finally:
            if flight is not None:
                flight.release()

    # -- the step, in two halves ---------------------------------------------------------
    def _begin(
        self,
        step: Step | NestedStep,
        values: dict[str, Any],
        prefix: str,
        st: CacheState | None,
    ) -> _Call | None:
        """Resolve a step up to its call: ``None`` when it is done already (hit, nested)."""
        node = step.node
        key = prefix + node.key if prefix else node.key
        if type(step) is NestedStep:  # run inline: it uses the executor too
            kwargs = step.kwargs(values) if st is None else st.kwargs(step)
            t0 = perf_counter()
            value = self._run_nested(step, kwargs, key)
            self._store_nested(values, step, value)
            self._finished(key, perf_counter() - t0, False, step)
            return None
        if st is None:
            return (step, key, step.kwargs(values), None, None)
        if not node.cache:
            return (step, key, st.kwargs(step), None, None)
        t0 = perf_counter()
        version = st.version(step)
        ck = st.key(step, version)
        if st.hit(step, ck):  # looked up here, in the coordinator
            self._finished(key, perf_counter() - t0, True, step, version)
            return None
        return (step, key, st.kwargs(step), version, ck)

    def _end(
        self,
        call: _Call,
        value: Any,
        seconds: float,
        values: dict[str, Any],
        st: CacheState | None,
    ) -> None:
        """Check, store and cache a step's value, then record its timing."""
        step, key, _, version, ck = call
        node = step.node
        if node.check is not None:
            run_check(key, node.check, value)
        values[node.provides[0]] = value
        if ck is not None and st is not None:
            st.save(step, ck, value)
        if self.hooks:
            self._finished(key, seconds, False, step, version)
        else:  # the same bookkeeping, without a call: this is the hot loop
            timings = self.timings
            timings[key] = timings.get(key, 0.0) + seconds
            self.cache_hits[key] = False

    # -- bookkeeping ---------------------------------------------------------------------
    def _finished(
        self,
        key: str,
        seconds: float,
        hit: bool,
        step: Step | NestedStep,
        version: str | None = None,
    ) -> None:
        timings = self.timings
        timings[key] = timings.get(key, 0.0) + seconds
        self.cache_hits[key] = hit
        if not self.hooks:
            return
        if version is None and isinstance(step, Step):
            try:
                version = node_version(step.node.func, step.node.version)
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

    @staticmethod
    def _store_nested(values: dict[str, Any], step: NestedStep, value: Any) -> None:
        provides = step.node.provides
        if len(provides) == 1:
            values[provides[0]] = value
        else:
            values.update(zip(provides, value, strict=True))

    # -- the concurrent driver -----------------------------------------------------------
    def _run_concurrent(
        self,
        steps: list[Step | NestedStep],
        values: dict[str, Any],
        prefix: str,
        st: CacheState | None,
        executor: Executor,
    ) -> None:
        """Submit every step whose inputs are ready; finish them as they complete."""
        waiting, users = _dependents(steps)
        ready = deque(i for i, w in enumerate(waiting) if w == 0)
        running: dict[Future[tuple[Any, float]], tuple[int, _Call]] = {}

        def release(i: int) -> None:
            for u in users[i]:
                waiting[u] -= 1
                if waiting[u] == 0:
                    ready.append(u)

        try:
            while ready or running:
                while ready:
                    i = ready.popleft()
                    call = self._begin(steps[i], values, prefix, st)
                    if call is None:
                        release(i)
                    else:
                        running[_submit(executor, call)] = (i, call)
                if not running:
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    i, call = running.pop(fut)
                    value, seconds = _outcome(fut, call[1])
                    self._end(call, value, seconds, values, st)
                    release(i)
        finally:
            for fut in running:
                fut.cancel()

    def _run_nested(self, step: NestedStep, kwargs: dict[str, Any], key: str) -> Any:
        node = step.node
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


def _recompute(prefix: str) -> Callable[[Step, dict[str, Any]], Any]:
    """How the cache recomputes a value it cannot load: the same call and check."""

    def compute(step: Step, kwargs: dict[str, Any]) -> Any:
        key = prefix + step.node.key
        value, _ = _call_inline(step, kwargs, key)
        if step.node.check is not None:
            run_check(key, step.node.check, value)
        return value

    return compute


def _dependents(steps: list[Step | NestedStep]) -> tuple[list[int], list[list[int]]]:
    """Per step: how many steps it waits for, and which steps wait for it."""
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
    return waiting, users


def _submit(executor: Executor, call: _Call) -> Future[tuple[Any, float]]:
    step, key, kwargs = call[0], call[1], call[2]
    try:
        return executor.submit(call_node, step.node.func, kwargs)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise _unpicklable(key, exc) from exc


def _outcome(fut: Future[tuple[Any, float]], key: str) -> tuple[Any, float]:
    try:
        return fut.result()
    except pickle.PicklingError as exc:
        raise _unpicklable(key, exc) from exc
    except Exception as exc:
        if _looks_unpicklable(exc):
            raise _unpicklable(key, exc) from exc
        raise _fail(key, exc) from exc


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

"""Long-lived, warm trial workers: one process pool per ``n_jobs``, kept between searches.

A spawned worker's start-up (interpreter, imports of hyperflow, numpy, the pipeline's
modules and what its nodes import) is serial work a search waits for before its first
trials; on a loaded 2-core machine importing scikit-learn alone took seconds. The pool
an ``optimize(n_jobs=...)`` call starts is therefore handed back, not shut down, and the
next call with the same ``n_jobs`` reuses its warm workers.

A warm worker must run what a fresh one would, so a pool is reused only when
nothing it inherited at spawn time has changed: the working directory, the environment
and ``sys.path`` (default store and cache locations are resolved from them), the BLAS
thread share, and the code of every node it has run (a node whose code version changed
may be stale in the worker's imported module, so such a change starts a new pool). A
pool in use by another search is never shared or shut down; a broken one, or one a
search left with trials still running (interrupted), is discarded. Idle pools shut down
after ``HYPERFLOW_POOL_IDLE_S`` seconds (default 300; ``0`` shuts them down at once,
i.e. no warm workers) and at interpreter exit.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field

from hyperflow.core import FunctionNode, NestedNode, Pipeline
from hyperflow.optimize._pool import process_pool, threads_per_worker

__all__ = ["acquire_pool", "idle_seconds", "node_versions", "release_pool", "shutdown_pools"]

_DEFAULT_IDLE_S = 300.0


@dataclass
class _Warm:
    pool: Executor
    setting: str
    versions: dict[str, str] = field(default_factory=dict)
    in_use: int = 0
    timer: threading.Timer | None = None


_POOLS: dict[int, _Warm] = {}
_LOCK = threading.Lock()


def idle_seconds() -> float:
    """How long an idle pool stays warm (``HYPERFLOW_POOL_IDLE_S``, default 300 s)."""
    raw = os.environ.get("HYPERFLOW_POOL_IDLE_S", "")
    try:
        return max(0.0, float(raw)) if raw.strip() else _DEFAULT_IDLE_S
    except ValueError:
        return _DEFAULT_IDLE_S


def _setting(n_jobs: int) -> str:
    """What a worker inherited at spawn time and resolves defaults from."""
    h = hashlib.sha256()
    for part in (os.getcwd(), repr(sorted(os.environ.items())), repr(sys.path)):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    h.update(str(threads_per_worker(n_jobs)).encode())
    return h.hexdigest()


def node_versions(pipeline: Pipeline) -> dict[str, str]:
    """Each node function (``module:qualname``) of ``pipeline``, nested ones included, with
    its code version."""
    from hyperflow.engine import node_version

    out: dict[str, str] = {}
    stack = [pipeline]
    while stack:
        for n in stack.pop().nodes.values():
            if isinstance(n, NestedNode):
                stack.append(n.pipeline)
                continue
            if not isinstance(n, FunctionNode):
                continue
            func = n.func
            name = f"{getattr(func, '__module__', '?')}:{getattr(func, '__qualname__', n.key)}"
            out[name] = node_version(func, n.version)
    return out


def _fits(warm: _Warm, setting: str, versions: Mapping[str, str]) -> bool:
    if warm.setting != setting or getattr(warm.pool, "_broken", False):
        return False
    return all(warm.versions.get(k, v) == v for k, v in versions.items())


def acquire_pool(n_jobs: int, pipeline: Pipeline) -> Executor:
    """A process pool of ``n_jobs`` workers for one search: a warm one when it fits."""
    setting, versions = _setting(n_jobs), node_versions(pipeline)
    stale: Executor | None = None
    with _LOCK:
        warm = _POOLS.get(n_jobs)
        if warm is not None and warm.in_use:
            return process_pool(n_jobs)  # another search's: a private pool for this one
        if warm is not None and warm.timer is not None:
            warm.timer.cancel()
        if warm is None or not _fits(warm, setting, versions):
            stale = warm.pool if warm is not None else None
            warm = _Warm(process_pool(n_jobs), setting)
            _POOLS[n_jobs] = warm
        warm.versions.update(versions)
        warm.in_use += 1
        pool = warm.pool
    if stale is not None:
        stale.shutdown(wait=False, cancel_futures=True)
    return pool


def release_pool(pool: Executor, *, clean: bool) -> None:
    """A search is done with ``pool``: keep it warm (``clean``) or shut it down."""
    with _LOCK:
        n_jobs = next((n for n, w in _POOLS.items() if w.pool is pool), None)
        warm = _POOLS.get(n_jobs) if n_jobs is not None else None
        if warm is not None:
            warm.in_use -= 1
            keep = clean and idle_seconds() > 0 and not getattr(pool, "_broken", False)
            if keep and warm.in_use == 0:
                warm.timer = threading.Timer(idle_seconds(), _expire, (n_jobs, pool))
                warm.timer.daemon = True
                warm.timer.start()
                return
            if keep or warm.in_use:
                return
            del _POOLS[n_jobs]  # type: ignore[arg-type]
    pool.shutdown(wait=True, cancel_futures=True)


def _expire(n_jobs: int, pool: Executor) -> None:
    with _LOCK:
        warm = _POOLS.get(n_jobs)
        if warm is None or warm.pool is not pool or warm.in_use:
            return
        del _POOLS[n_jobs]
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown_pools() -> None:
    """Shut every warm pool down (at interpreter exit, or to free the workers now)."""
    with _LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for warm in pools:
        if warm.timer is not None:
            warm.timer.cancel()
        warm.pool.shutdown(wait=True, cancel_futures=True)


def _forget_in_child() -> None:
    """A forked child does not own its parent's pools."""
    global _LOCK
    _POOLS.clear()
    _LOCK = threading.Lock()


atexit.register(shutdown_pools)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)

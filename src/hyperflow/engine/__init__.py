"""Execution of pipelines: order, executors, lifecycle hooks, results, fingerprints, cache."""

from hyperflow.engine._cache import Cache, DiskCache, MemoryCache
from hyperflow.engine._codeversion import code_version, node_version
from hyperflow.engine._execute import Execution, call_node, run_check
from hyperflow.engine._fingerprint import digest, fingerprint
from hyperflow.engine._flight import single_flight
from hyperflow.engine._get_cache import (
    DEFAULT_CACHE_DIR,
    DEFAULT_MAX_BYTES,
    get_cache,
    project_root,
)
from hyperflow.engine._hooks import RunHook
from hyperflow.engine._result import RunResult
from hyperflow.engine._run import execute_pipeline, new_run_id

__all__ = [
    "DEFAULT_CACHE_DIR",
    "DEFAULT_MAX_BYTES",
    "Cache",
    "DiskCache",
    "Execution",
    "MemoryCache",
    "RunHook",
    "RunResult",
    "call_node",
    "code_version",
    "digest",
    "execute_pipeline",
    "fingerprint",
    "get_cache",
    "new_run_id",
    "node_version",
    "project_root",
    "run_check",
    "single_flight",
]

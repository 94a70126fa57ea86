"""Resolving ``run(cache=...)`` into a cache, in one place, when it is used."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from hyperflow._errors import CacheError
from hyperflow._project import find_project_root
from hyperflow.engine._cache import Cache, DiskCache, MemoryCache

__all__ = ["DEFAULT_CACHE_DIR", "DEFAULT_MAX_BYTES", "get_cache", "project_root"]

DEFAULT_CACHE_DIR = ".hyperflow/cache"
DEFAULT_MAX_BYTES = 20 * 2**30
_OFF = {"off", "0", "false", "no", "none", "disabled"}
_DISK: dict[str, DiskCache] = {}
_MEMORY: dict[str, MemoryCache] = {}
_LOCK = threading.Lock()


def project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest folder (from ``start``, default the current one) that is a hyperflow project.

    A project folder holds a ``hyperflow.toml`` or a ``pyproject.toml`` with a
    ``[tool.hyperflow]`` table; without one, ``start`` itself.
    """
    here = Path(start if start is not None else os.getcwd()).resolve()
    # unreadable config files are skipped here: a cache location never fails a run
    return find_project_root(here, strict=False) or here


def _disk(path: str | os.PathLike[str], max_bytes: int | None) -> DiskCache:
    key = str(Path(path).resolve())
    with _LOCK:
        cache = _DISK.get(key)
        if cache is None or cache.max_bytes != max_bytes:
            cache = _DISK[key] = DiskCache(key, max_bytes=max_bytes)
        return cache


def _from_text(text: str) -> Cache | None:
    spec = text.strip()
    if spec.lower() in _OFF:
        return None
    if spec.lower() in {"on", "1", "true", "yes", "default", "disk", ""}:
        return _disk(project_root() / DEFAULT_CACHE_DIR, DEFAULT_MAX_BYTES)
    if spec.startswith("memory"):
        with _LOCK:
            return _MEMORY.setdefault(spec, MemoryCache())
    if spec.startswith("file://"):
        spec = spec[len("file://") :]
    elif "://" in spec:
        raise CacheError(
            f"a cache location must be a folder path, 'file://PATH', 'memory' or 'off', "
            f"but got {text!r}; pass a Cache instance for other backends"
        )
    return _disk(spec, DEFAULT_MAX_BYTES)


def get_cache(spec: Any = None) -> Cache | None:
    """Resolve a ``cache=`` argument into a cache, or ``None`` for no caching.

    Args:
        spec: ``None`` or ``True``: the default (``HYPERFLOW_CACHE`` if set, else a
            disk cache in ``.hyperflow/cache`` under the project root, resolved now);
            ``False``: off; a string: ``"off"``, ``"memory"`` (shared in this
            process) or a folder path; a ``Cache`` instance: itself.
            ``HYPERFLOW_CACHE=off`` turns the default off.

    Example:
        >>> from hyperflow.engine import MemoryCache, get_cache
        >>> get_cache(False) is None
        True
        >>> c = MemoryCache()
        >>> get_cache(c) is c
        True
    """
    if spec is None or spec is True:
        env = os.environ.get("HYPERFLOW_CACHE")
        return _from_text(env if env is not None else "default")
    if spec is False:
        return None
    if isinstance(spec, Cache):
        return spec
    if isinstance(spec, str | os.PathLike):
        return _from_text(os.fspath(spec))
    raise CacheError(
        f"cache= must be None, True, False, a folder path, 'memory', 'off' or a "
        f"hyperflow.engine.Cache instance, but got {spec!r} of type {type(spec).__name__}"
    )

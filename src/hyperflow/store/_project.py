"""Where a project's store and artifacts live, resolved when used (never at import).

The project root is the current directory or its nearest parent holding a
``hyperflow.toml`` or a ``pyproject.toml`` with a ``[tool.hyperflow]`` table.
``HYPERFLOW_STORE`` and ``HYPERFLOW_ARTIFACTS`` override the project config.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from hyperflow._project import config_in
from hyperflow._project import find_project_root as _find

__all__ = [
    "DEFAULT_ARTIFACTS",
    "DEFAULT_STORE_URL",
    "find_project_root",
    "note_untracked",
    "project_config",
    "resolve_artifact_root",
    "resolve_store_url",
    "store_configured",
    "store_exists",
    "tracking_default",
    "untracked_hint",
]

DEFAULT_STORE_URL = "sqlite:///.hyperflow/hyperflow.db"
DEFAULT_ARTIFACTS = ".hyperflow/artifacts"


def find_project_root(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest directory (``start`` or a parent) holding a hyperflow project config.

    Example:
        >>> from hyperflow.store import find_project_root
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "hyperflow.toml").write_text('store = "sqlite:///runs.db"')
        >>> (d / "sub").mkdir()
        >>> find_project_root(d / "sub") == d
        True
    """
    return _find(start)


def project_config(start: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The ``[tool.hyperflow]`` table (or ``hyperflow.toml``) of the project, or ``{}``."""
    root = find_project_root(start)
    return (config_in(root) or {}) if root is not None else {}


def store_configured() -> bool:
    """True when ``HYPERFLOW_STORE`` is set or the current directory is inside a project."""
    return bool(os.environ.get("HYPERFLOW_STORE")) or find_project_root() is not None


_OFF = ("0", "off", "false", "no")


def tracking_default() -> bool:
    """Whether ``Pipeline.run(track=None)`` records the run: yes unless ``HYPERFLOW_TRACKING``
    is ``off`` (or ``0``/``false``/``no``). Like MLflow's ``mlruns``, the default store is
    created on the first write, under the project root or the current directory."""
    return os.environ.get("HYPERFLOW_TRACKING", "").strip().lower() not in _OFF


_UNTRACKED_KEPT = 10_000
_untracked: dict[str, None] = {}
"""The latest untracked run ids, oldest first (bounded: a server runs a pipeline per request)."""


def note_untracked(run_id: str) -> None:
    """Remember (in this process) that the run ``run_id`` was not tracked (the latest
    ``_UNTRACKED_KEPT`` runs are kept: a long-running server makes one per request)."""
    _untracked[run_id] = None
    if len(_untracked) > _UNTRACKED_KEPT:
        with contextlib.suppress(StopIteration, KeyError, RuntimeError):  # another thread won
            del _untracked[next(iter(_untracked))]


def untracked_hint(run_id: str) -> str:
    """Why a run of this process is in no store (tracking was off), or ``""``."""
    if run_id not in _untracked:
        return ""
    return (
        f"; run {run_id} was made with tracking off (track=False or HYPERFLOW_TRACKING=off), "
        "so nothing was recorded: run it again with tracking on (the default; track=True)"
    )


def store_exists(url: str | None = None) -> bool:
    """False only for a SQLite file that was never written (read commands then create nothing)."""
    resolved = resolve_store_url(url)
    prefix = "sqlite:///"
    if not resolved.startswith(prefix):
        return True
    path = resolved[len(prefix) :]
    if not path or path == ":memory:" or path.startswith("file:"):
        return True
    return Path(path).exists()


def _base() -> Path:
    return find_project_root() or Path.cwd()


def resolve_store_url(url: str | None = None) -> str:
    """The metadata store URL: ``url``, else ``HYPERFLOW_STORE``, project config, default.

    A relative SQLite path is taken relative to the project root (or the current
    directory outside a project).
    """
    if url is None:
        url = os.environ.get("HYPERFLOW_STORE") or None
    if url is None:
        url = str(project_config().get("store", DEFAULT_STORE_URL))
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:" and not rest.startswith("file:"):
            url = prefix + str(_base() / rest)
    return url


def resolve_artifact_root(root: str | None = None) -> str:
    """The artifact root: ``root``, else ``HYPERFLOW_ARTIFACTS``, project config, default."""
    if root is None:
        root = os.environ.get("HYPERFLOW_ARTIFACTS") or None
    if root is None:
        root = str(project_config().get("artifacts", DEFAULT_ARTIFACTS))
    if "://" not in root and not os.path.isabs(root):
        root = str(_base() / root)
    return root

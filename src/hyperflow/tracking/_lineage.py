"""What a run came from: code versions, data fingerprints, git state, environment."""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["environment", "git_state"]

KEY_PACKAGES = (
    "hyperflow",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "scipy",
    "sqlalchemy",
    "optuna",
    "torch",
    "xgboost",
    "lightgbm",
)


@functools.cache
def environment() -> dict[str, Any]:
    """Python, platform and versions of the key packages installed (cached per process)."""
    packages: dict[str, str] = {}
    for name in KEY_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(),
        "packages": packages,
    }


def git_state(cwd: str | None = None) -> dict[str, Any] | None:
    """``{"commit": sha, "dirty": bool}`` of the git work tree around ``cwd``, else ``None``.

    One ``git status`` call gives both (none outside a repository); untracked files
    do not make a tree dirty.
    """
    here = Path(cwd or os.getcwd()).resolve()
    if not any((d / ".git").exists() for d in (here, *here.parents)):
        return None
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    commit = None
    dirty = False
    for line in out.stdout.splitlines():
        if line.startswith("# branch.oid "):
            commit = line.split()[2]
        elif not line.startswith("#"):
            dirty = True
    if commit is None or commit == "(initial)":
        return None
    return {"commit": commit, "dirty": dirty}

"""Finding a hyperflow project: the nearest folder holding a ``hyperflow.toml`` or a
``pyproject.toml`` with a ``[tool.hyperflow]`` table. Stdlib only, so every layer
(the engine's cache, the store's locations) shares this one lookup."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from hyperflow._errors import StoreError

__all__ = ["config_in", "find_project_root"]


def _load(path: Path, table: tuple[str, ...], strict: bool) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
        if table and not strict and "hyperflow" not in text:  # cheap skip of foreign pyprojects
            return None
        data: Any = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        if not strict:
            return None
        raise StoreError(f"cannot read project config {path}: {exc}; fix the TOML syntax") from exc
    for part in table:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data if isinstance(data, dict) else None


def config_in(directory: Path, *, strict: bool = True) -> dict[str, Any] | None:
    """The project config held in ``directory``, or ``None`` when it holds none.

    ``strict`` raises ``StoreError`` on an unreadable file; otherwise it is skipped.
    """
    own = directory / "hyperflow.toml"
    if own.is_file():
        return _load(own, (), strict)
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        return _load(pyproject, ("tool", "hyperflow"), strict)
    return None


def find_project_root(
    start: str | os.PathLike[str] | None = None, *, strict: bool = True
) -> Path | None:
    """The nearest directory (``start`` or a parent) holding a hyperflow project config."""
    here = Path(start if start is not None else os.getcwd()).resolve()
    for directory in (here, *here.parents):
        if config_in(directory, strict=strict) is not None:
            return directory
    return None

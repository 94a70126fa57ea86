"""The project code an agent needs: the modules its config and models name, and theirs.

Starting from every ``module:attr`` reference in the project's ``[tool.hyperflow]``
table (``train``, ``predict``, suites, ...) and the registered versions' predict
pipelines, the project's own modules (those in the project root or its ``src/``
folder, as :func:`hyperflow._refs.trusted_modules` defines them) are followed through
their imports — all of them, including imports inside functions, since a training
step may import its loader lazily. What is imported from outside the project is
returned as top-level names, to be pinned from the installed distributions.

Only ``.py`` files are collected: data files, stores, caches,
virtual environments and build outputs never are.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyperflow._errors import DeployError

__all__ = ["ProjectCode", "config_refs", "project_code"]

_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
#: Never copied as project code: hyperflow itself travels as a wheel.
_NOT_PROJECT = {"hyperflow"}


@dataclass(frozen=True)
class ProjectCode:
    """``files``: module name -> its file in the project; ``imports``: third-party tops."""

    root: Path
    files: dict[str, Path]
    imports: set[str]


def config_refs(table: Any) -> set[str]:
    """Every ``module:attr`` string anywhere in a config table."""
    found: set[str] = set()
    if isinstance(table, Mapping):
        for value in table.values():
            found |= config_refs(value)
    elif isinstance(table, list | tuple):
        for value in table:
            found |= config_refs(value)
    elif isinstance(table, str) and _REF.match(table):
        found.add(table)
    return found


def _project_tops(root: Path) -> dict[str, Path]:
    from hyperflow._refs import trusted_modules

    tops: dict[str, Path] = {}
    for name, folder in trusted_modules(root).items():
        if folder is not None and "." not in name and name not in _NOT_PROJECT:
            tops[name] = folder
    return tops


def _module_file(name: str, tops: Mapping[str, Path]) -> Path | None:
    parts = name.split(".")
    base = tops.get(parts[0])
    if base is None:
        return None
    path = base.joinpath(*parts)
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    file = path.with_suffix(".py")
    return file if file.is_file() else None


def _imported(tree: ast.AST, name: str, is_package: bool) -> Iterable[str]:
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{anchor}.{node.module}" if node.module else anchor
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{a.name}" for a in node.names if a.name != "*")


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def project_code(root: Path, seeds: Iterable[str]) -> ProjectCode:
    """The project modules reachable from ``seeds`` (module names), with their imports.

    Raises:
        DeployError: a seed names a project module whose file is missing, or a module
            that is neither the project's nor installed.
    """
    tops = _project_tops(root)
    files: dict[str, Path] = {}
    imports: set[str] = set()
    todo = list(seeds)
    for seed in todo:
        top = seed.split(".")[0]
        if top in tops and _module_file(seed, tops) is None:
            raise DeployError(
                f"module {seed!r} is named by the project at {root} but has no file there "
                f"({top}/ or src/{top}/); fix the reference in [tool.hyperflow]"
            )
        if top not in tops and top not in _NOT_PROJECT and importlib.util.find_spec(top) is None:
            raise DeployError(
                f"module {seed!r} is named by the project at {root} but is neither one of its "
                "modules nor installed; fix the reference or install the package"
            )
    while todo:
        name = todo.pop()
        top = name.split(".")[0]
        if top not in tops:
            if top and top not in sys.stdlib_module_names:
                imports.add(top)
            continue
        file = _module_file(name, tops)
        if file is None or name in files:
            continue  # `from pkg import attr`: an attribute, not a module
        files[name] = file
        todo.extend(_parents(name))
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        todo.extend(_imported(tree, name, file.name == "__init__.py"))
    return ProjectCode(root, files, imports - _NOT_PROJECT)

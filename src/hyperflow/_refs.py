"""References to Python objects as ``module:attr`` strings, both ways.

A reference read back from a database (a registered model's ``predict_ref``)
names code to import, and importing runs a module's top level. So such a
reference goes through :func:`import_trusted_ref`: its module must be one of
the project's own (the top-level modules and packages in the project root or
its ``src/`` folder) or be listed in ``HYPERFLOW_TRUSTED_MODULES``, checked
before anything is imported.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path
from typing import Any

from hyperflow._errors import RefError
from hyperflow._project import find_project_root

__all__ = [
    "TRUSTED_MODULES_ENV",
    "RefError",
    "find_ref",
    "import_ref",
    "import_trusted_ref",
    "trusted_modules",
]

TRUSTED_MODULES_ENV = "HYPERFLOW_TRUSTED_MODULES"
_NOT_MODULES = {"setup", "conftest"}  # scripts in a project root, not importable code


def import_ref(ref: str, root: Path | None = None) -> Any:
    """Import ``module:attr`` (``root`` is put on ``sys.path`` first)."""
    if not isinstance(ref, str) or ":" not in ref:
        raise RefError(f"expected a reference 'module:attr', but got {ref!r}")
    module_name, _, attr = ref.partition(":")
    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise RefError(f"cannot import {module_name!r} for {ref!r}: {exc}") from exc
    except Exception as exc:  # the user's module failed while being imported
        raise RefError(
            f"importing {module_name!r} (for {ref!r}) raised {type(exc).__name__}: {exc}; "
            "fix the module (--debug shows the traceback)"
        ) from exc
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise RefError(
                f"module {module_name!r} has no attribute {attr!r} (from {ref!r})"
            ) from None
    return obj


def _module_name(e: os.DirEntry[str]) -> str | None:
    """The top-level module name an entry of a project folder provides, if any."""
    if e.name.endswith(".py") and e.is_file():
        name = e.name[:-3]
    elif e.is_dir() and os.path.isfile(os.path.join(e.path, "__init__.py")):
        name = e.name
    else:
        return None
    return name if name.isidentifier() and name not in _NOT_MODULES else None


def trusted_modules(root: Path | None = None) -> dict[str, Path | None]:
    """Module (prefix) names whose code may be imported from a stored reference.

    Maps each to the folder to put on ``sys.path`` for it (``None`` for names
    from ``HYPERFLOW_TRUSTED_MODULES``, which must be importable as they are).
    ``root`` defaults to the project root found from the current folder
    (else the current folder itself).
    """
    if root is None:
        here = Path.cwd()
        root = find_project_root(here, strict=False) or here
    found: dict[str, Path | None] = {}
    for folder in (root, root / "src"):
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for e in entries:
            name = _module_name(e)
            if name is not None:
                found.setdefault(name, folder)
    for extra in re.split(r"[\s,]+", os.environ.get(TRUSTED_MODULES_ENV, "")):
        if extra:
            found.setdefault(extra, None)
    return found


def import_trusted_ref(ref: str, root: Path | None = None) -> Any:
    """Import ``module:attr`` read from a store, if its module is trusted (checked first).

    Trusted: the project's own modules (see :func:`trusted_modules`) and those
    named in ``HYPERFLOW_TRUSTED_MODULES`` (comma-separated; a name covers its
    submodules). Anything else raises ``RefError`` before any import, so a
    forged database row cannot make this process import arbitrary code.
    """
    if not isinstance(ref, str) or ":" not in ref:
        raise RefError(f"expected a reference 'module:attr', but got {ref!r}")
    module_name, _, attr = ref.partition(":")
    names = module_name.split(".") + attr.split(".")
    if not all(n.isidentifier() for n in names) or any(a.startswith("_") for a in attr.split(".")):
        raise RefError(
            f"stored reference {ref!r} is not a plain 'package.module:name' of public names; "
            "refused before importing anything"
        )
    allowed = trusted_modules(root)
    match = next(
        (n for n in allowed if module_name == n or module_name.startswith(n + ".")), None
    )
    if match is None:
        names = sorted(allowed)
        known = ", ".join(names[:12]) + (", …" if len(names) > 12 else "") if names else "none"
        raise RefError(
            f"stored reference {ref!r} names module {module_name!r}, which is not one of this "
            f"project's modules ({known}); refused before importing it, since whoever can write "
            "the metadata database could otherwise make this process import any code. If you "
            f"trust it, add {module_name.split('.')[0]!r} to {TRUSTED_MODULES_ENV} "
            "(comma-separated module names)"
        )
    folder = allowed[match]
    return import_ref(ref, folder if module_name not in sys.modules else None)


def find_ref(obj: Any, modules: list[str]) -> str | None:
    """The ``module:attr`` under which ``obj`` is a module-level global, if any.

    Only importable modules count: ``__main__`` is skipped (another process
    could not import it).
    """
    for name in modules:
        if name == "__main__":
            continue
        module = sys.modules.get(name)
        if module is None:
            continue
        for attr, value in vars(module).items():
            if value is obj and not attr.startswith("_"):
                return f"{name}:{attr}"
    return None

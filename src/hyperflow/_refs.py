"""References to Python objects as ``module:attr`` strings, both ways."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from hyperflow._errors import RefError

__all__ = ["RefError", "find_ref", "import_ref"]


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

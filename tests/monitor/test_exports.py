"""The public surface of hyperflow.monitor is exactly its __all__."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import hyperflow as hf
import hyperflow.monitor as monitor


def test_all_is_exactly_the_public_names() -> None:
    public = {n for n in vars(monitor) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(monitor, n)).__name__ == "module"}
    assert set(monitor.__all__) == public - modules
    assert hf.monitor is monitor and "monitor" in hf.__all__


PRIVATE = sorted(
    m.name
    for m in pkgutil.iter_modules(monitor.__path__, "hyperflow.monitor.")
    if m.name.rsplit(".", 1)[-1].startswith("_")
)


def _defined_public_names(module: ModuleType) -> set[str]:
    """Public names a module defines at top level (not the ones it imports)."""
    tree = ast.parse(inspect.getsource(module))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize("name", PRIVATE)
def test_each_private_module_declares_all_it_defines(name: str) -> None:
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    assert set(module.__all__) == _defined_public_names(module)


def test_the_package_re_exports_only_declared_names() -> None:
    for name in monitor.__all__:
        obj = getattr(monitor, name)
        home = importlib.import_module(obj.__module__)
        assert name in home.__all__, f"{name} is re-exported but not in {home.__name__}.__all__"

"""`__all__` of every package is exactly its public names (httpx's practice)."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import hyperflow

PACKAGES = sorted(
    {"hyperflow"}
    | {
        m.name
        for m in pkgutil.walk_packages(hyperflow.__path__, "hyperflow.")
        if m.ispkg and not m.name.rsplit(".", 1)[-1].startswith("_")
    }
)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and not isinstance(v, types.ModuleType)
        and n not in {"annotations", "TYPE_CHECKING"}
    }
    # lazily provided sub-namespaces (module-level __getattr__) count as exported
    missing = {n for n in exported if not hasattr(module, n)}
    assert not missing, f"{name}.__all__ names missing attributes: {missing}"
    assert public <= exported, f"{name}: public but not in __all__: {public - exported}"


def test_root_exception_catches_everything() -> None:
    errors = [
        obj
        for obj in (getattr(hyperflow, n) for n in hyperflow.__all__)
        if isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, Warning)
    ]
    assert len(errors) > 20
    for obj in errors:
        assert issubclass(obj, hyperflow.HyperflowError)
    for n in hyperflow.__all__:
        obj = getattr(hyperflow, n)
        if isinstance(obj, type) and issubclass(obj, Warning):
            assert issubclass(obj, UserWarning)  # warnings are not errors: outside the tree


def test_py_typed_is_shipped() -> None:
    import pathlib

    assert (pathlib.Path(hyperflow.__file__).parent / "py.typed").exists()


def test_store_testing_is_a_deprecated_alias_of_store_conformance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from hyperflow.store import conformance

    monkeypatch.delitem(sys.modules, "hyperflow.store.testing", raising=False)
    with pytest.warns(DeprecationWarning, match=r"hyperflow\.store\.conformance"):
        old = importlib.import_module("hyperflow.store.testing")
    assert old.__all__ == conformance.__all__
    for name in conformance.__all__:
        assert getattr(old, name) is getattr(conformance, name)

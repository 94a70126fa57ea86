"""Code versions: what a change to a node's code does (and does not) invalidate."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from pathlib import Path
from types import ModuleType

import pytest

import hyperflow as hf
from hyperflow.engine import code_version, node_version


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write source to a fresh module file and import it (reloading on later calls)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(tmp_path))
    names: list[str] = []

    def _load(source: str, name: str | None = None) -> ModuleType:
        name = name or f"cv_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        names.append(name)
        if name in sys.modules:
            return importlib.reload(sys.modules[name])
        return importlib.import_module(name)

    yield _load
    for n in names:
        sys.modules.pop(n, None)


BASE = """
LIMIT = 3

def helper2(x):
    return x * 2

def helper(x):
    return helper2(x) + 1

def node(x, k=1):
    return helper(x) + k + LIMIT
"""


def _version(load, source: str) -> str:  # type: ignore[no-untyped-def]
    return code_version(load(source, "cv_mod").node)


def test_comments_docstrings_and_layout_are_ignored(load) -> None:  # type: ignore[no-untyped-def]
    v = _version(load, BASE)
    cosmetic = BASE.replace(
        "def node(x, k=1):\n    return helper(x) + k + LIMIT",
        'def node(x,   k=1):\n    """Docs."""\n    # a comment\n    return (helper(x)\n'
        "            + k + LIMIT)",
    )
    assert cosmetic != BASE
    assert _version(load, cosmetic) == v


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("+ k + LIMIT", "+ k - LIMIT"),  # the body
        ("k=1", "k=2"),  # a default
        ("LIMIT = 3", "LIMIT = 4"),  # a module-level constant it reads
        ("+ 1\n", "+ 2\n"),  # a helper it calls
        ("x * 2", "x * 3"),  # a helper of the helper (transitive)
    ],
)
def test_changes_that_alter_the_result_change_the_version(load, old: str, new: str) -> None:  # type: ignore[no-untyped-def]
    v = _version(load, BASE)
    assert old in BASE
    assert _version(load, BASE.replace(old, new)) != v


def test_closure_values_count() -> None:
    def make(n: int):  # type: ignore[no-untyped-def]
        def node(x: int) -> int:
            return x + n

        return node

    assert code_version(make(1)) == code_version(make(1))
    assert code_version(make(1)) != code_version(make(2))


def test_helper_reached_through_a_user_module_counts(load) -> None:  # type: ignore[no-untyped-def]
    load("def clean(x):\n    return x + 1\n", "cv_helpers")
    user = load("import cv_helpers\n\ndef node(x):\n    return cv_helpers.clean(x)\n", "cv_user")
    v = code_version(user.node)
    load("def clean(x):\n    return x + 2\n", "cv_helpers")  # reloaded: a new function
    assert code_version(user.node) != v


def test_redefining_a_helper_in_the_same_namespace_is_noticed() -> None:
    ns: dict[str, object] = {"__name__": "notebook"}
    exec("def helper(x):\n    return x + 1\ndef node(x):\n    return helper(x)\n", ns)
    v = code_version(ns["node"])
    exec("def helper(x):\n    return x + 2\n", ns)
    assert code_version(ns["node"]) != v


def test_manual_version_forces_a_new_version() -> None:
    def f(x: int) -> int:
        return x

    assert node_version(f, None) == code_version(f)
    assert node_version(f, "2") != node_version(f, None)
    assert node_version(f, "2") != node_version(f, "3")
    assert node_version(f, "2") == node_version(f, "2")


def test_library_code_is_not_followed(load) -> None:  # type: ignore[no-untyped-def]
    mod = load("import json\n\ndef node(x):\n    return json.dumps(x)\n")
    assert len(code_version(mod.node)) == 32


def test_hooks_receive_each_nodes_code_version() -> None:
    seen: dict[str, str | None] = {}

    class Hook(hf.RunHook):
        def node_finished(self, *, key: str, code_version: str | None = None, **_: object) -> None:  # type: ignore[override]
            seen[key] = code_version

    @hf.node(version="2")
    def a(x: int) -> int:
        return x + 1

    def b(a: int) -> int:
        return a * 2

    hf.Pipeline([a, b], name="p").run(inputs={"x": 1}, hooks=[Hook()], cache=False)
    assert seen == {"a": node_version(a, "2"), "b": code_version(b)}

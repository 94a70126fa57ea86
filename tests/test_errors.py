"""The exception tree: one root, every class in ``hyperflow._errors``, shown as ``hyperflow.X``.

Exceptions cross process boundaries (trial and executor pools pickle them), so
every class must pickle by the name it reports: ``hyperflow.<Name>``.
"""

from __future__ import annotations

import importlib
import multiprocessing
import pickle
import pkgutil
import re
import types
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

import hyperflow
from hyperflow import _errors
from tests.test_docstrings import DEPRECATED

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(hyperflow.__path__, "hyperflow.")
    if m.name not in DEPRECATED
)
for _module in MODULES:
    importlib.import_module(_module)

# constructor arguments beyond the message, per class that needs them
EXTRA: dict[str, dict[str, Any]] = {
    "NodeError": {"node": "train"},
    "NodeCheckError": {"node": "train"},
    "PredictionInputError": {"errors": [{"field": "x", "message": "bad", "input": 1}]},
}


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


# every HyperflowError subclass hyperflow defines (tests may define their own)
ERRORS = sorted(
    {
        c
        for c in [_errors.HyperflowError, *_subclasses(_errors.HyperflowError)]
        if c.__module__.split(".")[0] == "hyperflow"
    },
    key=lambda c: c.__name__,
)
NAMES = [c.__name__ for c in ERRORS]


def _tree() -> dict[str, str | None]:
    """Class name -> parent name, as drawn in the ``_errors`` docstring."""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in (_errors.__doc__ or "").splitlines():
        m = re.match(r"^(\s*)(?:[│ ]*(?:├── |└── ))?([A-Z]\w+Error)\b", line)
        if m is None:
            continue
        col = line.index(m.group(2))
        while stack and stack[-1][0] >= col:
            stack.pop()
        parents[m.group(2)] = stack[-1][1] if stack else None
        stack.append((col, m.group(2)))
    return parents


def _instance(cls: type[Exception]) -> Exception:
    return cls(f"{cls.__name__} message", **EXTRA.get(cls.__name__, {}))


def _raise(cls: type[Exception], kwargs: dict[str, Any]) -> None:
    raise cls(f"{cls.__name__} message", **kwargs)


def test_the_tree_has_every_class_moved_into_it() -> None:
    moved = {"QueryError", "PredictionInputError", "RefError", "ProjectError", "CliError"}
    assert moved <= set(NAMES)
    assert len(ERRORS) >= 27


@pytest.mark.parametrize("cls", ERRORS, ids=NAMES)
def test_each_error_is_hyperflow_dot_name(cls: type[Exception]) -> None:
    assert cls.__module__ == "hyperflow", f"{cls.__module__}.{cls.__qualname__} is not in _errors"
    assert getattr(hyperflow, cls.__name__) is cls
    assert getattr(_errors, cls.__name__) is cls
    assert cls.__name__ in hyperflow.__all__
    assert cls.__name__ in _errors.__all__


@pytest.mark.parametrize("cls", ERRORS, ids=NAMES)
def test_each_error_sits_in_the_docstring_tree_under_its_base(cls: type[Exception]) -> None:
    tree = _tree()
    assert cls.__name__ in tree, f"{cls.__name__} is missing from the tree in _errors' docstring"
    base = next((b for b in cls.__bases__ if issubclass(b, _errors.HyperflowError)), None)
    assert tree[cls.__name__] == (base.__name__ if base else None)


@pytest.mark.parametrize("cls", ERRORS, ids=NAMES)
def test_each_error_round_trips_through_pickle(cls: type[Exception]) -> None:
    err = _instance(cls)
    err.__dict__["note"] = "kept"
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert str(back) == str(err) and back.args == err.args
    assert vars(back) == vars(err)


@pytest.mark.slow
def test_errors_raised_in_a_fresh_process_arrive_whole() -> None:
    """A spawned worker imports hyperflow afresh: classes and arguments must resolve there."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        futures = {c: pool.submit(_raise, c, EXTRA.get(c.__name__, {})) for c in ERRORS}
        for cls, fut in futures.items():
            got = fut.exception(timeout=120)
            assert type(got) is cls
            assert str(got) == f"{cls.__name__} message"
            for key, value in EXTRA.get(cls.__name__, {}).items():
                assert getattr(got, key) == value


def test_a_traceback_names_the_public_class() -> None:
    import traceback

    text = "".join(traceback.format_exception_only(_instance(_errors.NodeError)))
    assert text.startswith("hyperflow.NodeError: ")


def test_old_import_paths_still_give_the_same_classes() -> None:
    from hyperflow._refs import RefError
    from hyperflow.cli import ProjectError
    from hyperflow.cli._common import CliError
    from hyperflow.registry import PredictionInputError
    from hyperflow.store import QueryError

    assert (RefError, ProjectError, CliError, PredictionInputError, QueryError) == (
        hyperflow.RefError,
        hyperflow.ProjectError,
        hyperflow.CliError,
        hyperflow.PredictionInputError,
        hyperflow.QueryError,
    )
    assert issubclass(QueryError, ValueError) and issubclass(PredictionInputError, ValueError)


def _is_error(obj: object) -> bool:
    """An exception class (warnings are categories, not errors)."""
    return isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, Warning)


def _public_namespaces() -> list[types.ModuleType]:
    names = [m for m in MODULES if not any(p.startswith("_") for p in m.split(".")[1:])]
    return [hyperflow, *(importlib.import_module(m) for m in names)]


def test_no_exception_outside_the_tree_reaches_the_public_api() -> None:
    """Other exception classes exist only as private control flow (serve's ``InvalidBody``,
    always answered as a 422): every hyperflow exception a public module shows is in the tree."""
    seen = 0
    for module in _public_namespaces():
        for name, obj in vars(module).items():
            if _is_error(obj) and obj.__module__.split(".")[0] == "hyperflow":
                seen += 1
                assert obj.__module__ == "hyperflow" and obj.__name__ in _errors.__all__, (
                    f"{module.__name__}.{name} ({obj.__module__}) is outside the tree"
                )
    assert seen >= len(ERRORS)

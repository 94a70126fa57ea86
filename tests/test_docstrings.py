"""Every `>>>` example in the package's docstrings runs (docs examples are tests)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import hyperflow

MODULES = sorted(m.name for m in pkgutil.walk_packages(hyperflow.__path__, "hyperflow."))


@pytest.mark.parametrize("name", ["hyperflow", *MODULES])
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"

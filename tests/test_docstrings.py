"""Every `>>>` example in the package's docstrings runs (docs examples are tests)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import warnings

import pytest

import hyperflow

MODULES = sorted(m.name for m in pkgutil.walk_packages(hyperflow.__path__, "hyperflow."))
# kept one release for old imports; importing them warns (tested in test_public_api.py)
DEPRECATED = {"hyperflow.store.testing"}


@pytest.mark.parametrize("name", ["hyperflow", *MODULES])
def test_docstring_examples_run(name: str) -> None:
    with warnings.catch_warnings():
        if name in DEPRECATED:
            warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"

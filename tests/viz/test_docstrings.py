"""The `>>>` examples of hyperflow.viz run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import hyperflow.viz

MODULES = sorted(m.name for m in pkgutil.walk_packages(hyperflow.viz.__path__, "hyperflow.viz."))


@pytest.mark.parametrize("name", ["hyperflow.viz", *MODULES, "hyperflow.core._pipeline"])
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0

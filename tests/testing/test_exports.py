"""The public surface of hf.testing is exactly its __all__, and every docstring example runs."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import hyperflow as hf
import hyperflow.testing
from hyperflow.testing import perturb


def public(module: ModuleType) -> set[str]:
    return {
        n
        for n in dir(module)
        if not n.startswith("_")
        and getattr(getattr(module, n), "__module__", "").startswith(module.__name__)
    }


def test_all_is_exactly_the_public_names() -> None:
    assert hf.testing is hyperflow.testing and "testing" in hf.__all__
    assert set(hf.testing.__all__) == public(hf.testing) | {"perturb"}
    assert set(perturb.__all__) == public(perturb) | {"NAMES", "SYNONYMS"}
    for name in hf.testing.__all__:  # every export is documented
        assert (getattr(hf.testing, name).__doc__ or "").strip(), f"{name} has no docstring"


MODULES = sorted(
    m.name for m in pkgutil.walk_packages(hyperflow.testing.__path__, "hyperflow.testing.")
)


@pytest.mark.parametrize("name", ["hyperflow.testing", *MODULES])
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0

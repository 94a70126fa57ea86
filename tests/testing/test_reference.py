"""Suites stored by reference (``module:attr``) and results that round-trip through JSON."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import hyperflow as hf

MODULE = """
import hyperflow as hf

def length(texts):
    return [len(t) for t in texts]

weather_suite = hf.testing.Suite("lengths", [
    hf.testing.mft([("abc", 3), ("", lambda n: n == 0)]),
    hf.testing.invariance(["a b", "c d"], hf.testing.perturb.typos(), seed=1),
])
not_a_suite = 42
"""


@pytest.fixture
def suites_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "team_suites.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "team_suites"
    sys.modules.pop("team_suites", None)


def test_suite_ref_dumps_and_loads_the_same_suite(suites_module: str) -> None:
    suite = hf.testing.load_suite(f"{suites_module}:weather_suite")
    assert suite.ref == "team_suites:weather_suite"
    assert hf.testing.load_suite(suite.ref) is suite


def test_result_records_the_ref_and_survives_json(suites_module: str) -> None:
    module = __import__(suites_module)
    suite = hf.testing.load_suite("team_suites:weather_suite")
    result = suite.run(module.length)
    assert result.suite_ref == "team_suites:weather_suite"
    again = hf.testing.SuiteResult.from_json(result.to_json())
    assert again == result
    assert again.passed == result.passed and again.summary() == result.summary()
    rerun = hf.testing.load_suite(again.suite_ref or "").run(module.length)
    assert rerun == result  # stored reference + seed reproduce the recorded result


def test_a_suite_made_inside_a_function_has_no_ref() -> None:
    local = hf.testing.Suite("local", [hf.testing.mft([("a", 1)])])
    assert local.ref is None
    assert local.run(lambda xs: [1 for _ in xs]).suite_ref is None


def test_bad_references_are_clear_errors(suites_module: str) -> None:
    with pytest.raises(hf.TestingError, match="expected a reference 'module:attr'"):
        hf.testing.load_suite("team_suites.weather_suite")
    with pytest.raises(hf.TestingError, match="cannot import 'nope_xyz'"):
        hf.testing.load_suite("nope_xyz:suite")
    with pytest.raises(hf.TestingError, match="has no attribute 'missing'"):
        hf.testing.load_suite("team_suites:missing")
    with pytest.raises(hf.TestingError, match=r"names a 'int' object, not a hf\.testing\.Suite"):
        hf.testing.load_suite("team_suites:not_a_suite")

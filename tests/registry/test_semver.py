from __future__ import annotations

import pytest

from hyperflow import RegistryError
from hyperflow.registry import SemVer, bump


def test_precedence_follows_semver() -> None:
    ordered = [
        "0.9.0",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.10.0",
        "2.0.0",
    ]
    parsed = [SemVer.parse(v) for v in ordered]
    assert sorted(parsed) == parsed
    assert [p.sort_key() for p in parsed] == sorted(p.sort_key() for p in parsed)
    assert str(SemVer.parse("2.0.0-rc.1+build.5")) == "2.0.0-rc.1+build.5"


@pytest.mark.parametrize("bad", ["1.0", "01.0.0", "1.0.0-", "v1.0.0", "1.0.0-rc..1", "", "1.2.3.4"])
def test_invalid_versions_are_rejected(bad: str) -> None:
    with pytest.raises(RegistryError, match="is not a semantic version"):
        SemVer.parse(bad)


def test_bump() -> None:
    assert str(bump(None, "minor")) == "0.1.0"
    assert str(bump(SemVer.parse("1.2.3"), "patch")) == "1.2.4"
    assert str(bump(SemVer.parse("1.2.3"), "minor")) == "1.3.0"
    assert str(bump(SemVer.parse("1.2.3"), "major")) == "2.0.0"
    assert str(bump(SemVer.parse("2.0.0-rc.1"), "major")) == "2.0.0"  # finalizes the prerelease
    assert str(bump(SemVer.parse("1.3.0-rc.1"), "patch")) == "1.3.0"
    with pytest.raises(RegistryError, match="bump must be one of"):
        bump(None, "huge")


def test_bump_parts_are_an_enum_that_plain_strings_still_match() -> None:
    from hyperflow.registry import Bump

    assert [b.value for b in Bump] == ["major", "minor", "patch"]
    assert Bump.MINOR == "minor"
    assert str(bump(SemVer.parse("1.2.3"), Bump.PATCH)) == "1.2.4"

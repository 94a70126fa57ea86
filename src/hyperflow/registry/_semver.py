"""Semantic versions (SemVer 2.0): parsing, precedence, bumping."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from hyperflow._errors import RegistryError

__all__ = ["BUMPS", "Bump", "SemVer", "bump", "bump_part"]

_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


class Bump(StrEnum):
    """Which part of a semantic version ``register`` increments."""

    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"


BUMPS = tuple(b.value for b in Bump)


def bump_part(part: Bump | str) -> Bump:
    """``part`` as a :class:`Bump`, or ``RegistryError`` naming the accepted values."""
    try:
        return Bump(part)
    except ValueError:
        raise RegistryError(
            f"bump must be one of {', '.join(BUMPS)}, but got {part!r}"
        ) from None


@dataclass(frozen=True, order=False)
class SemVer:
    """A parsed version; compares by SemVer precedence (build metadata ignored).

    Example:
        >>> from hyperflow.registry import SemVer
        >>> sorted(["1.0.0", "1.0.0-rc.1", "1.0.0-alpha", "0.9.0"], key=SemVer.parse)
        ['0.9.0', '1.0.0-alpha', '1.0.0-rc.1', '1.0.0']
    """

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    @classmethod
    def parse(cls, text: str) -> SemVer:
        m = _RE.match(text) if isinstance(text, str) else None
        if m is None:
            raise RegistryError(
                f"{text!r} is not a semantic version; expected MAJOR.MINOR.PATCH with an optional "
                "-prerelease and +build, e.g. '1.2.0' or '2.0.0-rc.1'"
            )
        pre = tuple(m.group(4).split(".")) if m.group(4) else ()
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)), pre, m.group(5) or "")

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + self.build
        return text

    def _key(self) -> tuple[object, ...]:
        # a release sorts after its prereleases; numeric identifiers before alphanumeric ones
        pre: tuple[object, ...] = tuple(
            (0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease
        )
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: SemVer) -> bool:
        return self._key() < other._key()

    def __le__(self, other: SemVer) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: SemVer) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: SemVer) -> bool:
        return self._key() >= other._key()

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def sort_key(self) -> str:
        """A string whose lexical order is SemVer precedence (for ``ORDER BY`` in SQL)."""
        parts = [f"{self.major:09d}.{self.minor:09d}.{self.patch:09d}"]
        if not self.prerelease:
            parts.append("~")  # after every prerelease
        else:
            for p in self.prerelease:
                parts.append(f"0{int(p):09d}" if p.isdigit() else f"1{p}")
        return "-".join(parts)[:400]


def bump(latest: SemVer | None, part: Bump | str) -> SemVer:
    """The next version after ``latest`` (``None``: nothing yet, start from 0.0.0).

    A prerelease of the target is finalized rather than skipped: bumping ``minor``
    from ``1.3.0-rc.1`` gives ``1.3.0``.
    """
    part = bump_part(part)
    base = latest or SemVer(0, 0, 0)
    if base.prerelease:
        release = SemVer(base.major, base.minor, base.patch)
        if (
            (part == "patch")
            or (part == "minor" and base.patch == 0)
            or (part == "major" and base.minor == 0 and base.patch == 0)
        ):
            return release
        base = release
    if part == "major":
        return SemVer(base.major + 1, 0, 0)
    if part == "minor":
        return SemVer(base.major, base.minor + 1, 0)
    return SemVer(base.major, base.minor, base.patch + 1)

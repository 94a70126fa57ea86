"""What every sanity check returns, and shape matching shared by scikit-learn and torch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SanityResult", "shape_ok"]


@dataclass(frozen=True)
class SanityResult:
    """Outcome of one sanity check: ``passed``, a readable ``message`` and raw ``details``."""

    check: str
    passed: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return f"{self.check}: {'passed' if self.passed else 'FAILED'} — {self.message}"


def shape_ok(got: Sequence[int], want: Sequence[int | None]) -> bool:
    """Whether ``got`` matches ``want`` (``None`` matches any size)."""
    return len(got) == len(want) and all(
        w is None or g == w for g, w in zip(got, want, strict=True)
    )

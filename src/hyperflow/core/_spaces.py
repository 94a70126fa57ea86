"""Search-space declarations: ``hf.Int``, ``hf.Float``, ``hf.Choice``, ``hf.Bool``.

A space is attached to a parameter with ``Annotated[T, space]``; the
parameter keeps a real Python default, which must lie in the space.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from hyperflow._errors import SpaceError

__all__ = ["Bool", "Choice", "Float", "Int", "Space"]

_V = TypeVar("_V")


class Space:
    """Base class of every parameter domain.

    Subclasses are frozen dataclasses; ``contains`` says whether a value lies
    in the domain and ``describe`` renders the domain for error messages.
    """

    kind: ClassVar[str] = "space"

    def contains(self, value: Any) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description of the domain (used by tracking and pictures)."""
        raise NotImplementedError

    def expected_type(self, value: Any) -> str | None:
        """What type the domain expects when ``value`` has the wrong type, else ``None``."""
        return None

    def check(self, value: _V, *, key: str) -> _V:
        """Return ``value`` if it lies in the domain, else raise a ``ConfigError``.

        The error names the key and the value, and either the expected type (a
        value of the wrong type) or the domain (a value outside it).
        """
        from hyperflow._errors import ConfigError

        if self.contains(value):
            return value
        expected = self.expected_type(value)
        if expected is not None:
            raise ConfigError(
                f"config key {key!r} expects {expected}, but got {value!r} of type "
                f"{type(value).__name__}; choose a value in {self.describe()}",
                key=key,
            )
        hint = self._hint(value) or "; choose a value in that domain"
        raise ConfigError(
            f"config value {value!r} for {key!r} is outside its domain {self.describe()}{hint}",
            key=key,
        )

    def _hint(self, value: Any) -> str:
        return ""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    """A value's type family: numbers (not bools) are one family, as ``Choice`` allows 1 for 1.0."""
    return "number" if _is_number(value) else type(value).__name__


@dataclass(frozen=True, slots=True)
class Int(Space):
    """Integers in ``[low, high]``, optionally on a ``step`` grid or log-scaled.

    Example:
        >>> import hyperflow as hf
        >>> hf.Int(1, 10, step=3).contains(7)
        True
    """

    low: int
    high: int
    step: int = 1
    log: bool = False
    kind: ClassVar[str] = "int"

    def __post_init__(self) -> None:
        if not (_is_int(self.low) and _is_int(self.high)):
            raise SpaceError(
                f"hf.Int needs integer bounds, but got low={self.low!r}, high={self.high!r}; "
                "use hf.Float for real numbers"
            )
        if self.low > self.high:
            raise SpaceError(f"`low <= high` must hold, but got low={self.low}, high={self.high}")
        if not _is_int(self.step) or self.step < 1:
            raise SpaceError(f"hf.Int step must be a positive integer, but got step={self.step!r}")
        if self.log and self.low < 1:
            raise SpaceError(
                f"hf.Int(log=True) needs `low > 0`, but got low={self.low}; "
                "raise low to at least 1 or drop log=True"
            )
        if self.log and self.step != 1:
            raise SpaceError("hf.Int cannot combine log=True with step != 1 (Optuna's rule)")

    def contains(self, value: Any) -> bool:
        return (
            _is_int(value)
            and self.low <= value <= self.high
            and (value - self.low) % self.step == 0
        )

    def expected_type(self, value: Any) -> str | None:
        return None if _is_int(value) else "an int"

    def describe(self) -> str:
        extra = f", step={self.step}" if self.step != 1 else ""
        extra += ", log=True" if self.log else ""
        return f"Int({self.low}, {self.high}{extra})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "int",
            "low": self.low,
            "high": self.high,
            "step": self.step,
            "log": self.log,
        }


@dataclass(frozen=True, slots=True)
class Float(Space):
    """Real numbers in ``[low, high]``; ``log=True`` samples on a log scale.

    Example:
        >>> import hyperflow as hf
        >>> hf.Float(1e-3, 1e3, log=True).contains(0.5)
        True
    """

    low: float
    high: float
    log: bool = False
    step: float | None = None
    kind: ClassVar[str] = "float"

    def __post_init__(self) -> None:
        if not (_is_number(self.low) and _is_number(self.high)):
            raise SpaceError(
                f"hf.Float needs numeric bounds, but got low={self.low!r}, high={self.high!r}"
            )
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise SpaceError(
                f"hf.Float bounds must be finite, but got low={self.low}, high={self.high}"
            )
        if self.low > self.high:
            raise SpaceError(f"`low <= high` must hold, but got low={self.low}, high={self.high}")
        if self.log and self.low <= 0:
            raise SpaceError(
                f"hf.Float(log=True) needs `low > 0`, but got low={self.low}; "
                "use a small positive low such as 1e-6, or drop log=True"
            )
        if self.step is not None:
            if not _is_number(self.step) or self.step <= 0:
                raise SpaceError(f"hf.Float step must be positive, but got step={self.step!r}")
            if self.log:
                raise SpaceError("hf.Float cannot combine log=True with step (Optuna's rule)")

    def contains(self, value: Any) -> bool:
        if not _is_number(value) or not math.isfinite(value):
            return False
        if not self.low <= value <= self.high:
            return False
        if self.step is None:
            return True
        k = (value - self.low) / self.step
        return bool(abs(k - round(k)) < 1e-8)

    def expected_type(self, value: Any) -> str | None:
        return None if _is_number(value) else "a float (or an int)"

    def describe(self) -> str:
        extra = ", log=True" if self.log else ""
        extra += f", step={self.step}" if self.step is not None else ""
        return f"Float({self.low}, {self.high}{extra})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "float",
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "step": self.step,
        }


@dataclass(frozen=True, slots=True, init=False)
class Choice(Space):
    """One of a fixed list of options (strings, numbers, bools or None).

    Example:
        >>> import hyperflow as hf
        >>> hf.Choice("l1", "l2").contains("l2")
        True
    """

    options: tuple[Any, ...]
    kind: ClassVar[str] = "choice"

    def __init__(self, *options: Any) -> None:
        if len(options) == 1 and isinstance(options[0], list | tuple):
            options = tuple(options[0])
        if not options:
            raise SpaceError("hf.Choice needs at least one option, but got none")
        for opt in options:
            if not isinstance(opt, str | int | float | bool | type(None)):
                raise SpaceError(
                    f"hf.Choice options must be str, int, float, bool or None (Optuna can "
                    f"store those), but got {opt!r} of type {type(opt).__name__}; "
                    "use names and map them to objects inside the node"
                )
        if len(set(map(repr, options))) != len(options):
            raise SpaceError(f"hf.Choice options must be distinct, but got {list(options)!r}")
        object.__setattr__(self, "options", tuple(options))

    def contains(self, value: Any) -> bool:
        return any(type(value) is type(o) and value == o for o in self.options) or (
            # allow 1 for 1.0 etc. only when types are both numeric non-bool
            _is_number(value) and any(_is_number(o) and o == value for o in self.options)
        )

    def expected_type(self, value: Any) -> str | None:
        kinds = {_kind(o) for o in self.options}
        if _kind(value) in kinds:
            return None
        names = sorted({type(o).__name__ for o in self.options})
        return "one of the options (" + " or ".join(names) + ")"

    def _hint(self, value: Any) -> str:
        if not isinstance(value, str):
            return ""
        texts = [o for o in self.options if isinstance(o, str)]
        close = difflib.get_close_matches(value, texts, n=1)
        return f"; did you mean {close[0]!r}?" if close else ""

    def describe(self) -> str:
        return "Choice(" + ", ".join(repr(o) for o in self.options) + ")"

    def to_dict(self) -> dict[str, Any]:
        return {"type": "choice", "options": list(self.options)}


@dataclass(frozen=True, slots=True)
class Bool(Space):
    """``True`` or ``False``.

    Example:
        >>> import hyperflow as hf
        >>> hf.Bool().contains(False)
        True
    """

    kind: ClassVar[str] = "bool"

    def contains(self, value: Any) -> bool:
        return isinstance(value, bool)

    def expected_type(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else "a bool (True or False)"

    def describe(self) -> str:
        return "Bool()"

    def to_dict(self) -> dict[str, Any]:
        return {"type": "bool"}


def options_of(space: Space) -> Sequence[Any] | None:
    """The finite options of a domain, or ``None`` for a continuous/integer range."""
    if isinstance(space, Choice):
        return space.options
    if isinstance(space, Bool):
        return (False, True)
    return None

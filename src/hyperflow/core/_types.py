"""Producer/consumer type compatibility, checked only when both sides are concrete."""

from __future__ import annotations

import types
import typing
from typing import Any

__all__ = ["compatible", "type_name"]

_NUMERIC_WIDENING = {(int, float), (int, complex), (float, complex), (bool, int), (bool, float)}


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _concrete_class(tp: Any) -> type | None:
    if tp is None or tp is type(None):
        return type(None)
    if isinstance(tp, type) and not isinstance(tp, types.GenericAlias):
        return tp
    origin = typing.get_origin(tp)
    if isinstance(origin, type):
        return origin
    return None


def compatible(produced: Any, consumed: Any) -> bool:
    """``False`` only when both annotations are concrete and cannot match."""
    if produced is Any or consumed is Any or consumed is object:
        return True
    if _is_union(consumed):
        return any(compatible(produced, c) for c in typing.get_args(consumed))
    if _is_union(produced):
        return all(compatible(p, consumed) for p in typing.get_args(produced))
    p, c = _concrete_class(produced), _concrete_class(consumed)
    if p is None or c is None:
        return True  # TypeVar, Protocol generics, strings, ...: not concrete
    if (p, c) in _NUMERIC_WIDENING:
        return True
    try:
        if issubclass(p, c) or (issubclass(c, p) and getattr(c, "_is_protocol", False)):
            return True
    except TypeError:
        return True
    # a Protocol is structural: it cannot be decided from classes alone
    return bool(getattr(c, "_is_protocol", False))


def type_name(tp: Any) -> str:
    if isinstance(tp, type):
        return tp.__qualname__
    return repr(tp).replace("typing.", "")

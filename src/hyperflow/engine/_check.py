"""Node output checks: call the check, and describe a failure by column and values.

A check is an object with ``validate(value)`` (a pandera schema, say) or a
callable that raises or returns ``False``. Checks whose ``validate`` accepts
``lazy=`` are called lazily so that one error lists every violation. An error
carrying pandera-style ``failure_cases`` (a DataFrame with ``column``,
``check``, ``failure_case``, ``index``) is described column by column; the
engine never imports pandera.
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["apply_check", "describe_check_failure"]

MAX_VALUES = 5


def apply_check(check: Any, value: Any) -> None:
    """Run ``check`` on ``value``; raises whatever the check raises."""
    validate = getattr(check, "validate", None)
    if validate is not None:
        try:
            lazy = "lazy" in inspect.signature(validate).parameters
        except (TypeError, ValueError):
            lazy = False
        if lazy:
            validate(value, lazy=True)
        else:
            validate(value)
        return
    if check(value) is False:
        raise ValueError(f"check {getattr(check, '__name__', check)!r} returned False")


def describe_check_failure(exc: BaseException) -> str:
    """``"column 'x' failed in_range(0, 10) for values [11, 12] at rows [3, 4]; ..."``."""
    cases = getattr(exc, "failure_cases", None)
    to_dict = getattr(cases, "to_dict", None)
    if to_dict is None:
        return f"{type(exc).__name__}: {exc}"
    records: list[dict[str, Any]] = to_dict("records")
    if not records or "failure_case" not in records[0]:
        return f"{type(exc).__name__}: {exc}"
    default_column = getattr(getattr(exc, "schema", None), "name", None)
    default_check = getattr(exc, "check", None)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        column = r.get("column", default_column)
        check = r.get("check", default_check)
        groups.setdefault((str(column), str(check)), []).append(r)
    parts = []
    for (column, check), rows in groups.items():
        values = [r["failure_case"] for r in rows[:MAX_VALUES]]
        more = f" and {len(rows) - MAX_VALUES} more" if len(rows) > MAX_VALUES else ""
        where = [r.get("index") for r in rows[:MAX_VALUES]]
        at = f" at rows {where}" if any(i is not None for i in where) else ""
        subject = "the data" if column == "None" else f"column {column!r}"
        parts.append(f"{subject} failed {check} for values {values}{more}{at}")
    return "; ".join(parts)

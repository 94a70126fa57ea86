"""Helpers shared by the CLI commands: output for people or scripts, parsing ``key=value``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hyperflow._errors import CliError

__all__ = ["CliError", "emit", "parse_assignments", "to_jsonable"]


def parse_assignments(items: Iterable[str] | None, what: str) -> dict[str, Any]:
    """``["a=1", "b=x"]`` → ``{"a": 1, "b": "x"}`` (values parsed as JSON when they are)."""
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise CliError(f"{what} must look like KEY=VALUE, but got {item!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return to_jsonable(item())
        except (TypeError, ValueError):
            pass
    return repr(value)


def emit(
    data: Any,
    *,
    as_json: bool,
    title: str | None = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Print ``data`` as JSON (``--json``) or as a rich table / key-value list for people."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if as_json:
        print(json.dumps(to_jsonable(data), indent=2, default=repr))
        return
    if isinstance(data, list):
        cols = list(columns or (list(data[0]) if data else []))
        table = Table(title=title)
        for c in cols:
            table.add_column(c)
        for row in data:
            table.add_row(*(_cell(row.get(c)) for c in cols))
        console.print(table)
        return
    if isinstance(data, Mapping):
        table = Table(title=title, show_header=False)
        table.add_column("key", style="bold")
        table.add_column("value")
        for k, v in data.items():
            table.add_row(str(k), _cell(v))
        console.print(table)
        return
    console.print(data)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(to_jsonable(value), default=repr)
    return "" if value is None else str(value)

"""Helpers shared by the CLI commands: output for people or scripts, parsing ``key=value``,
human units, and making untrusted text inert before it reaches a terminal."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

from hyperflow._errors import CliError

__all__ = [
    "CliError",
    "emit",
    "human_bytes",
    "human_seconds",
    "inert",
    "parse_assignments",
    "short_ids",
    "to_jsonable",
    "usage_error",
]


def usage_error(message: str, option: str) -> NoReturn:
    """A bad option value: click prints the usage, ``Try 'hyperflow X --help'``, exit 2."""
    import typer

    raise typer.BadParameter(message, param_hint=f"'{option}'")


# ANSI CSI / OSC / other escape sequences, then any C0/C1 control character but \n and \t.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI (colours, cursor)
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (window title, hyperlinks)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[@-_]?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"  # 8-bit OSC
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def inert(text: object) -> str:
    """``text`` with terminal escape sequences and control characters (but newline and tab)
    removed, so stored names, tags and error text cannot drive the terminal."""
    return _CONTROL.sub("", _ESCAPES.sub("", str(text)))


def _markup(text: object) -> str:
    """``inert`` text with Rich markup escaped (``[/bad]`` prints as itself)."""
    from rich.markup import escape

    return escape(inert(text))


def parse_assignments(items: Iterable[str] | None, what: str) -> dict[str, Any]:
    """``["a=1", "b=x"]`` → ``{"a": 1, "b": "x"}`` (values parsed as JSON when they are)."""
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key:
            usage_error(f"must look like KEY=VALUE, but got {item!r}", what)
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def human_seconds(seconds: float) -> str:
    """``0.000012`` → ``12 µs``, ``0.25`` → ``250 ms``, ``75`` → ``1m 15s``."""
    if not math.isfinite(seconds):
        return str(seconds)
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def human_bytes(n: float) -> str:
    """``1536`` → ``1.5 KiB`` (binary units, as ``du -h``)."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"  # pragma: no cover - the loop returns


def short_ids(ids: Sequence[str], minimum: int = 12) -> dict[str, str]:
    """Each id shortened to ``minimum`` characters, longer where two would look alike."""
    out: dict[str, str] = {}
    for rid in ids:
        n = minimum
        while n < len(rid) and any(o != rid and o[:n] == rid[:n] for o in ids):
            n += 1
        out[rid] = rid[:n]
    return out


def to_jsonable(value: Any) -> Any:
    """Plain JSON values: NumPy scalars/arrays and pandas objects become numbers and lists."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str | int | bool) or value is None:
        return value
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # pandas DataFrame
        return to_jsonable(value.to_dict(orient="records"))
    for method in ("tolist", "item"):  # NumPy arrays/scalars, pandas Series/Index
        convert = getattr(value, method, None)
        if callable(convert):
            try:
                return to_jsonable(convert())
            except (TypeError, ValueError):
                continue
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


_WHOLE = ("run_id", "version")


def emit(
    data: Any,
    *,
    as_json: bool,
    title: str | None = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Print ``data`` as JSON (``--json``) or as a rich table / key-value list for people.

    Every value is made inert (no escape sequences, Rich markup escaped) before printing.
    """
    from rich.console import Console
    from rich.table import Table

    if as_json:
        print(json.dumps(to_jsonable(data), indent=2))
        return
    console = Console()
    heading = _markup(title) if title is not None else None
    if isinstance(data, list):
        cols = list(columns or (list(data[0]) if data else []))
        table = Table(title=heading)
        for c in cols:
            if c in _WHOLE:  # ids are never cut: shown whole or already shortened, uniquely
                width = max([len(str(row.get(c) or "")) for row in data] + [len(c)])
                table.add_column(_markup(c), no_wrap=True, min_width=width)
            else:
                table.add_column(_markup(c), overflow="fold")
        for row in data:
            table.add_row(*(_cell(row.get(c)) for c in cols))
        console.print(table)
        return
    if isinstance(data, Mapping):
        table = Table(title=heading, show_header=False)
        table.add_column("key", style="bold")
        table.add_column("value", overflow="fold")
        for k, v in data.items():
            table.add_row(_markup(k), _cell(v))
        console.print(table)
        return
    console.print(_markup(data))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, Mapping | list | tuple):
        return _markup(json.dumps(to_jsonable(value), ensure_ascii=False))
    return "" if value is None else _markup(value)

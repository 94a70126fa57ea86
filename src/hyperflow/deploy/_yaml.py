"""A small YAML writer for manifests (no PyYAML needed at build time).

Mappings and lists become block YAML; every string is written as a JSON
(double-quoted) scalar, which YAML reads back unchanged, so no value can be
misread as a number, a boolean or a tag.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dump_all", "to_yaml"]


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def _lines(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    if isinstance(value, Mapping):
        if not value:
            return [pad + "{}"]
        out: list[str] = []
        for key, item in value.items():
            head = f"{pad}{_scalar(key) if not str(key).isidentifier() else key}:"
            out.extend(_entry(head, item, indent))
        return out
    if isinstance(value, Sequence) and not isinstance(value, str):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            inner = _lines(item, indent + 1)
            out.append(f"{pad}- {inner[0].lstrip()}")
            out.extend(inner[1:])
        return out
    return [pad + _scalar(value)]


def _entry(head: str, item: Any, indent: int) -> list[str]:
    nested = isinstance(item, Mapping | list | tuple) and len(item) > 0
    if nested:
        return [head, *_lines(item, indent + 1)]
    return [f"{head} {_lines(item, 0)[0]}"]


def to_yaml(value: Any) -> str:
    """One YAML document for ``value`` (mappings, lists, scalars)."""
    return "\n".join(_lines(value, 0)) + "\n"


def dump_all(documents: Sequence[Any]) -> str:
    """Several YAML documents separated by ``---``."""
    return "---\n".join(to_yaml(d) for d in documents)

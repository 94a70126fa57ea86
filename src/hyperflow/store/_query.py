"""The run filter language of ``search``, compiled to SQL.

``where`` is a boolean expression over fields:

* ``metrics.<key>`` (latest value), ``params.<key>``, ``tags.<key>``;
* run attributes: ``run_id``, ``name``, ``pipeline``, ``status``, ``parent_id``,
  ``start_time``, ``end_time`` (optionally written ``attributes.<name>``).

Comparisons are ``= == != <> < <= > >= like``, ``in (a, b)`` and ``is [not] null``;
they combine with ``and``, ``or`` and parentheses. Strings are quoted with ``'``
or ``"``. Example: ``"metrics.f1 > 0.9 and params.model = 'lr'"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hyperflow._errors import QueryError
from hyperflow.store import _schema as S

__all__ = ["Condition", "QueryError", "compile_order", "compile_where", "parse_where"]

ATTRIBUTES = ("run_id", "name", "pipeline", "status", "parent_id", "start_time", "end_time")
_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|(?P<str>'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")"
    r"|(?P<op><=|>=|!=|<>|==|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_][\w.\-/]*))"
)


@dataclass(frozen=True, slots=True)
class Condition:
    """One comparison: ``field op value`` (``value`` is a tuple for ``in``)."""

    field: str
    op: str
    value: Any


Node = Condition | tuple[str, list[Any]]  # ("and"|"or", children)


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QueryError(
                f"cannot read the filter at position {pos}: {text[pos : pos + 20]!r}; expected "
                "e.g. \"metrics.f1 > 0.9 and params.model = 'lr'\""
            )
        pos = m.end()
        kind = m.lastgroup
        raw = m.group(kind or "")
        if kind == "num":
            out.append(("lit", float(raw) if any(c in raw for c in ".eE") else int(raw)))
        elif kind == "str":
            out.append(("lit", raw[1:-1].replace(raw[0] * 2, raw[0])))
        elif kind == "op":
            out.append(("op", raw))
        else:
            low = raw.lower()
            kw = ("and", "or", "in", "is", "not", "null", "like")
            out.append(("kw", low) if low in kw else ("field", raw))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str, value: Any = None) -> Any:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            got = "the end" if tok is None else repr(tok[1])
            want = (
                repr(value) if value is not None else ("a field name" if kind == "field" else kind)
            )
            raise QueryError(f"in filter {self.text!r}: expected {want} but found {got}")
        self.i += 1
        return tok[1]

    def parse(self) -> Node:
        node = self.expr("or")
        if self.peek() is not None:
            raise QueryError(
                f"in filter {self.text!r}: unexpected {self.peek()[1]!r}; "  # type: ignore[index]
                "join conditions with 'and' / 'or'"
            )
        return node

    def expr(self, level: str) -> Node:
        sub = "and" if level == "or" else None
        parts = [self.expr(sub) if sub else self.atom()]
        while self.peek() == ("kw", level):
            self.i += 1
            parts.append(self.expr(sub) if sub else self.atom())
        return parts[0] if len(parts) == 1 else (level, parts)

    def atom(self) -> Node:
        if self.peek() == ("op", "("):
            self.i += 1
            node = self.expr("or")
            self.take("op", ")")
            return node
        field = _check_field(self.take("field"), self.text)
        tok = self.peek()
        if tok == ("kw", "is"):
            self.i += 1
            negate = self.peek() == ("kw", "not")
            if negate:
                self.i += 1
            self.take("kw", "null")
            return Condition(field, "is not null" if negate else "is null", None)
        if tok == ("kw", "in"):
            self.i += 1
            self.take("op", "(")
            values = [self.take("lit")]
            while self.peek() == ("op", ","):
                self.i += 1
                values.append(self.take("lit"))
            self.take("op", ")")
            return Condition(field, "in", tuple(values))
        if tok == ("kw", "like"):
            self.i += 1
            return Condition(field, "like", self.take("lit"))
        op = self.take("op")
        if op not in ("=", "==", "!=", "<>", "<", "<=", ">", ">="):
            raise QueryError(f"in filter {self.text!r}: {op!r} is not a comparison operator")
        return Condition(field, {"==": "=", "<>": "!="}.get(op, op), self.take("lit"))


def _check_field(field: str, text: str) -> str:
    if field.startswith("attributes."):
        field = field[len("attributes.") :]
    head, _, rest = field.partition(".")
    if head in ("metrics", "params", "tags") and rest:
        return field
    if field in ATTRIBUTES:
        return field
    raise QueryError(
        f"in {text!r}: unknown field {field!r}; use metrics.<key>, params.<key>, tags.<key> "
        f"or one of {', '.join(ATTRIBUTES)}"
    )


def parse_where(text: str) -> Node:
    """Parse a filter into conditions joined by ``("and"|"or", [...])``.

    Example:
        >>> from hyperflow.store import parse_where
        >>> parse_where("metrics.f1 > 0.9 and params.model = 'lr'")
        ('and', [Condition(field='metrics.f1', op='>', value=0.9), \
Condition(field='params.model', op='=', value='lr')])
    """
    return _Parser(text).parse()


def _compare(col: Any, op: str, value: Any) -> Any:
    if op == "in":
        return col.in_(list(value))
    if op == "like":
        return col.like(value)
    if op == "is null":
        return col.is_(None)
    if op == "is not null":
        return col.is_not(None)
    return {
        "=": col == value,
        "!=": col != value,
        "<": col < value,
        "<=": col <= value,
        ">": col > value,
        ">=": col >= value,
    }[op]


def _is_num(value: Any) -> bool:
    vals = value if isinstance(value, tuple) else (value,)
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)


def _condition(c: Condition) -> Any:
    runs = S.runs
    head, _, key = c.field.partition(".")
    if head in ("metrics", "params", "tags") and key:
        if head == "metrics":
            t = S.latest_metrics
            col = t.c.value
        elif head == "params":
            t = S.params
            col = t.c.num if _is_num(c.value) else t.c.text
        else:
            t = S.tags
            col = t.c.value
        value = c.value
        if head != "metrics" and col is not S.params.c.num and value is not None:
            value = tuple(str(v) for v in value) if isinstance(value, tuple) else str(value)
        if c.op in ("is null", "is not null"):
            present = sa.exists().where(t.c.run_id == runs.c.run_id, t.c.key == key)
            return ~present if c.op == "is null" else present
        return (
            sa.exists()
            .where(t.c.run_id == runs.c.run_id, t.c.key == key)
            .where(_compare(col, c.op, value))
        )
    return _compare(runs.c[c.field], c.op, c.value)


def compile_where(node: Node) -> Any:
    """Turn a parsed filter into a SQLAlchemy boolean clause over ``hf_runs``."""
    if isinstance(node, Condition):
        return _condition(node)
    op, parts = node
    clauses = [compile_where(p) for p in parts]
    return sa.and_(*clauses) if op == "and" else sa.or_(*clauses)


def compile_order(order_by: str | Sequence[str] | None) -> list[Any]:
    """SQLAlchemy ORDER BY clauses for ``"-metrics.f1"``-style fields (nulls last)."""
    runs = S.runs
    if order_by is None:
        return [runs.c.start_time.desc(), runs.c.run_id]
    items = [order_by] if isinstance(order_by, str) else list(order_by)
    out: list[Any] = []
    for item in items:
        text = item.strip()
        desc = text.startswith("-")
        field = _check_field(text.lstrip("-+").strip(), item)
        head, _, key = field.partition(".")
        col: Any
        if head == "metrics" and key:
            lm = S.latest_metrics
            sub = sa.select(lm.c.value).where(lm.c.run_id == runs.c.run_id, lm.c.key == key)
            col = sub.scalar_subquery()
        elif head == "params" and key:
            p = S.params
            num = sa.select(p.c.num).where(p.c.run_id == runs.c.run_id, p.c.key == key)
            txt = sa.select(p.c.text).where(p.c.run_id == runs.c.run_id, p.c.key == key)
            out.append(
                sa.nulls_last(num.scalar_subquery().desc() if desc else num.scalar_subquery())
            )
            col = txt.scalar_subquery()
        elif head == "tags" and key:
            t = S.tags
            col = sa.select(t.c.value).where(t.c.run_id == runs.c.run_id, t.c.key == key)
            col = col.scalar_subquery()
        else:
            col = runs.c[field]
        out.append(sa.nulls_last(col.desc() if desc else col.asc()))
    out.append(runs.c.run_id)
    return out

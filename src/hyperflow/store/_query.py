"""The filter language of every ``search`` (runs and model versions), parsed and
compiled to SQL here, and only here.

``where`` is a boolean expression over the fields of a scope:

* ``runs``: ``metrics.<key>`` (latest value), ``params.<key>``, ``tags.<key>`` and the
  run attributes ``run_id``, ``name``, ``pipeline``, ``status``, ``parent_id``,
  ``start_time``, ``end_time`` (optionally written ``attributes.<name>``);
* ``versions``: ``metrics.<key>``, ``tags.<key>``, ``name``, ``version``, ``alias``
  (true when any alias of the version, ``latest`` included, matches; ``alias is null``:
  none points at it), ``status``, ``run_id``, ``description``, ``created_at``.

Comparisons are ``= == != <> < <= > >= like``, ``in (a, b)`` and ``is [not] null``;
they combine with ``and``, ``or`` and parentheses. Strings are quoted with ``'``
or ``"``. Example: ``"metrics.f1 > 0.9 and params.model = 'lr'"``.

Limits (a ``QueryError`` names the one exceeded): ``MAX_LENGTH`` characters,
``MAX_DEPTH`` nested parentheses, ``MAX_CONDITIONS`` comparisons and
``MAX_IN_VALUES`` values in one ``in (...)``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa

from hyperflow._errors import QueryError
from hyperflow.store import _schema as S

__all__ = [
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "MAX_IN_VALUES",
    "MAX_LENGTH",
    "Condition",
    "QueryError",
    "compile_order",
    "compile_version_where",
    "compile_where",
    "leading_metric",
    "parse_where",
    "where_keys",
]

ATTRIBUTES = ("run_id", "name", "pipeline", "status", "parent_id", "start_time", "end_time")
VERSION_ATTRIBUTES = ("name", "version", "alias", "status", "run_id", "description", "created_at")
_SCOPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "runs": (ATTRIBUTES, ("metrics", "params", "tags")),
    "versions": (VERSION_ATTRIBUTES, ("metrics", "tags")),
}
MAX_LENGTH = 100_000
MAX_DEPTH = 50
MAX_CONDITIONS = 200
MAX_IN_VALUES = 1_000
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
    if len(text) > MAX_LENGTH:
        raise QueryError(
            f"the filter is {len(text):,} characters long, over the limit of {MAX_LENGTH:,} "
            "(MAX_LENGTH); split the search or filter the results in Python"
        )
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
    def __init__(self, text: str, scope: str) -> None:
        self.text = text
        self.scope = scope
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0
        self.conditions = 0

    def _limit(self, what: str, count: int, limit: int, name: str) -> None:
        if count > limit:
            raise QueryError(
                f"the filter {_short(self.text)} has more than {limit} {what}, over the limit "
                f"({name}); simplify it, e.g. with 'field in (...)' or several searches"
            )

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str, value: Any = None) -> Any:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            got = "the end" if tok is None else repr(tok[1])
            want = (
                repr(value) if value is not None else ("a field name" if kind == "field" else kind)
            )
            raise QueryError(f"in filter {_short(self.text)}: expected {want} but found {got}")
        self.i += 1
        return tok[1]

    def parse(self) -> Node:
        node = self.expr("or")
        extra = self.peek()
        if extra is not None:
            raise QueryError(
                f"in filter {_short(self.text)}: unexpected {extra[1]!r}; "
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
            self.depth += 1
            self._limit("nested parentheses", self.depth, MAX_DEPTH, "MAX_DEPTH")
            node = self.expr("or")
            self.take("op", ")")
            self.depth -= 1
            return node
        self.conditions += 1
        self._limit("conditions", self.conditions, MAX_CONDITIONS, "MAX_CONDITIONS")
        field = _check_field(self.take("field"), self.text, self.scope)
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
                self._limit("values in one 'in'", len(values), MAX_IN_VALUES, "MAX_IN_VALUES")
            self.take("op", ")")
            return Condition(field, "in", tuple(values))
        if tok == ("kw", "like"):
            self.i += 1
            return Condition(field, "like", self.take("lit"))
        op = self.take("op")
        if op not in ("=", "==", "!=", "<>", "<", "<=", ">", ">="):
            raise QueryError(
                f"in filter {_short(self.text)}: {op!r} is not a comparison operator"
            )
        return Condition(field, {"==": "=", "<>": "!="}.get(op, op), self.take("lit"))


def _short(text: str) -> str:
    return repr(text) if len(text) <= 200 else repr(text[:200]) + f" (... {len(text):,} chars)"


def _check_field(field: str, text: str, scope: str = "runs") -> str:
    attributes, prefixes = _SCOPES[scope]
    if field.startswith("attributes."):
        field = field[len("attributes.") :]
    head, _, rest = field.partition(".")
    if head in prefixes and rest:
        return field
    if field in attributes:
        return field
    close = difflib.get_close_matches(field, [*attributes, *(f"{p}.{field}" for p in prefixes)])
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise QueryError(
        f"in {_short(text)}: unknown field {field!r}; {hint}use "
        f"{', '.join(p + '.<key>' for p in prefixes)} or one of {', '.join(attributes)}"
    )


def parse_where(text: str, *, scope: str = "runs") -> Node:
    """Parse a filter into conditions joined by ``("and"|"or", [...])``.

    ``scope`` is ``"runs"`` (the default) or ``"versions"`` (registry fields).

    Example:
        >>> from hyperflow.store import parse_where
        >>> parse_where("metrics.f1 > 0.9 and params.model = 'lr'")
        ('and', [Condition(field='metrics.f1', op='>', value=0.9), \
Condition(field='params.model', op='=', value='lr')])
    """
    if scope not in _SCOPES:
        raise QueryError(f"scope must be one of {', '.join(_SCOPES)}, but got {scope!r}")
    if not isinstance(text, str):
        raise QueryError(f"a filter is a string such as \"metrics.f1 > 0.9\", not {text!r}")
    return _Parser(text, scope).parse()


def where_keys(node: Node) -> list[tuple[str, str]]:
    """The ``(kind, key)`` pairs of the ``metrics.``/``params.``/``tags.`` fields in a filter."""
    out: list[tuple[str, str]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Condition):
            head, _, key = item.field.partition(".")
            if head in ("metrics", "params", "tags") and key and (head, key) not in out:
                out.append((head, key))
        else:
            stack.extend(reversed(item[1]))
    return out


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
        link = (t.c.run_id == runs.c.run_id, t.c.key == key)
        if c.op in ("is null", "is not null"):
            return _matching(t, link, present=c.op == "is not null")
        return _matching(t, (*link, _compare(col, c.op, value)))
    return _compare(runs.c[c.field], c.op, c.value)


def _matching(table: Any, where: Sequence[Any], *, present: bool = True) -> Any:
    """Whether ``table`` has a row matching ``where`` (correlated with the outer query).

    A scalar ``count`` rather than ``EXISTS``: PostgreSQL turns every ``EXISTS`` of
    an ``and`` chain into a semi-join, and planning ~200 of them took 50 s; scalar
    subqueries stay subplans, planned in linear time.
    """
    count = sa.select(sa.func.count()).select_from(table).where(*where).scalar_subquery()
    return count > 0 if present else count == 0


def _compile(node: Node, condition: Callable[[Condition], Any]) -> Any:
    if isinstance(node, Condition):
        return condition(node)
    op, parts = node
    clauses = [_compile(p, condition) for p in parts]
    return sa.and_(*clauses) if op == "and" else sa.or_(*clauses)


def compile_where(node: Node) -> sa.ColumnElement[bool]:
    """Turn a parsed ``runs`` filter into a SQLAlchemy boolean clause over ``hf_runs``."""
    return cast("sa.ColumnElement[bool]", _compile(node, _condition))


def _as_text(value: Any) -> Any:
    if value is None:
        return None
    return tuple(str(v) for v in value) if isinstance(value, tuple) else str(value)


def _alias_rows() -> Any:
    """Every (name, version, alias) pair, the virtual ``latest`` included."""
    mv, aliases = S.model_versions, S.aliases
    cur, newer = mv.alias("cur"), mv.alias("newer")
    latest = sa.select(
        cur.c.name, cur.c.version, sa.cast(sa.literal("latest"), aliases.c.alias.type)
    ).where(
        cur.c.status == "active",
        ~sa.exists().where(
            newer.c.name == cur.c.name,
            newer.c.status == "active",
            newer.c.sort_key > cur.c.sort_key,
        ),
    )
    explicit = sa.select(aliases.c.name, aliases.c.version, aliases.c.alias)
    return sa.union_all(explicit, latest).subquery("alias_rows")


def _version_condition(c: Condition) -> Any:
    mv = S.model_versions
    head, _, key = c.field.partition(".")
    if head in ("metrics", "tags") and key:
        t = S.version_metrics if head == "metrics" else S.version_tags
        link = [t.c.name == mv.c.name, t.c.version == mv.c.version, t.c.key == key]
        value = c.value if head == "metrics" else _as_text(c.value)
        col = t.c.value
    elif c.field == "alias":
        t = _alias_rows()
        link = [t.c.name == mv.c.name, t.c.version == mv.c.version]
        value, col = _as_text(c.value), t.c.alias
    else:
        if c.field == "version" and c.op in ("<", "<=", ">", ">="):
            raise QueryError(
                f"versions compare with =, !=, in, like and is null, not {c.op!r} (their text "
                "order is not semver precedence); list them with hf.registry.versions(name)"
            )
        return _compare(mv.c[c.field], c.op, c.value)
    if c.op in ("is null", "is not null"):
        return _matching(t, link, present=c.op == "is not null")
    return _matching(t, (*link, _compare(col, c.op, value)))


def compile_version_where(node: Node) -> sa.ColumnElement[bool]:
    """Turn a parsed ``versions`` filter into a boolean clause over ``hf_model_versions``."""
    return cast("sa.ColumnElement[bool]", _compile(node, _version_condition))


def compile_order(order_by: str | Sequence[str] | None) -> list[sa.ColumnElement[Any]]:
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


def leading_metric(order_by: str | Sequence[str] | None) -> tuple[str, bool, list[str]] | None:
    """``(key, descending, the other items)`` when ``order_by`` starts with a metric.

    Such a sort can walk the ``(key, value)`` index of the latest metrics in order and
    stop after one page, instead of looking the metric up for every run and sorting.
    """
    if order_by is None:
        return None
    items = [order_by] if isinstance(order_by, str) else list(order_by)
    if not items:
        return None
    text = items[0].strip()
    field = _check_field(text.lstrip("-+").strip(), items[0])
    head, _, key = field.partition(".")
    if head != "metrics" or not key:
        return None
    return key, text.startswith("-"), items[1:]

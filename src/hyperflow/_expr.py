"""Safe rule expressions over named figures, e.g. ``"drift.share >= 0.3 and requests > 10"``.

The same small interpreter design as objectives (``hyperflow.optimize``): the text is
parsed with :mod:`ast` and evaluated node by node; nothing is ``eval``-ed. Beyond the
objectives' arithmetic it accepts comparisons (``< <= > >= == !=``), ``and``, ``or``,
``not`` and dotted names (``metrics.accuracy``). Stdlib only, so every layer may use it.
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hyperflow._errors import ConfigError

__all__ = ["MAX_RULE_CHARS", "Rule"]

MAX_RULE_CHARS = 1000
_DEPTH = 100
_BINOPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[float, float], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_FUNCS: dict[str, Callable[..., float]] = {
    "abs": abs,
    "min": min,
    "max": max,
    "log": math.log,
    "sqrt": math.sqrt,
}
Fn = Callable[[Mapping[str, float]], float]


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _bool(parts: list[Fn], is_and: bool) -> Fn:
    if is_and:
        return lambda m: float(all(p(m) for p in parts))
    return lambda m: float(any(p(m) for p in parts))


def _compare(node: ast.Compare, text: str, names: set[str]) -> Fn:
    terms = [_compile(t, text, names) for t in [node.left, *node.comparators]]
    ops = [_COMPARE[type(o)] for o in node.ops]

    def fn(m: Mapping[str, float]) -> float:
        values = [t(m) for t in terms]
        return float(all(op(values[i], values[i + 1]) for i, op in enumerate(ops)))

    return fn


def _compile(node: ast.AST, text: str, names: set[str]) -> Fn:
    name = _dotted(node)
    if name is not None:
        names.add(name)
        return lambda m: float(m[name])
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        value = float(node.value)
        return lambda m: value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.Not):
        inner = _compile(node.operand, text, names)
        if isinstance(node.op, ast.Not):
            return lambda m: float(not inner(m))
        return lambda m: -inner(m)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        op, left, right = (
            _BINOPS[type(node.op)],
            _compile(node.left, text, names),
            _compile(node.right, text, names),
        )
        return lambda m: op(left(m), right(m))
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, text, names) for v in node.values]
        return _bool(parts, isinstance(node.op, ast.And))
    if isinstance(node, ast.Compare) and all(type(o) in _COMPARE for o in node.ops):
        return _compare(node, text, names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
        fn, args = _FUNCS[node.func.id], [_compile(a, text, names) for a in node.args]
        return lambda m: float(fn(*(a(m) for a in args)))
    snippet = ast.get_source_segment(text, node) or type(node).__name__
    raise ConfigError(
        f"unsupported element {snippet!r} in rule {text!r}; use numbers, figure names such as "
        "drift.share, + - * / %, comparisons, and/or/not, parentheses and "
        f"{', '.join(sorted(_FUNCS))}()"
    )


def _parse(text: str) -> ast.expr:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"a rule must be a non-empty string, but got {text!r}")
    if len(text) > MAX_RULE_CHARS:
        raise ConfigError(f"rule {text[:40]!r}... is longer than {MAX_RULE_CHARS} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, RecursionError, MemoryError) as exc:
        raise ConfigError(f"cannot parse rule {text!r}: {exc}") from None
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > _DEPTH:
            raise ConfigError(f"rule {text[:40]!r} is nested more than {_DEPTH} levels deep")
        stack.extend((c, depth + 1) for c in ast.iter_child_nodes(node))
    return tree


@dataclass(frozen=True)
class Rule:
    """A condition such as ``"metrics.accuracy < 0.45 and feedback.count >= 100"``.

    Example:
        >>> from hyperflow._expr import Rule
        >>> r = Rule("latency.p99_ms > 50 or error_rate > 0.01")
        >>> r({"latency.p99_ms": 12.0, "error_rate": 0.02}), sorted(r.names)
        (True, ['error_rate', 'latency.p99_ms'])
    """

    text: str
    names: frozenset[str] = field(init=False)
    _fn: Fn = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names: set[str] = set()
        fn = _compile(_parse(self.text), self.text.strip(), names)
        object.__setattr__(self, "names", frozenset(names))
        object.__setattr__(self, "_fn", fn)

    def check_names(self, known: Iterable[str], where: str = "") -> None:
        """Raise ``ConfigError`` (with "did you mean") for names not in ``known``."""
        pool = sorted(set(known))
        for name in sorted(self.names):
            if name in pool:
                continue
            close = difflib.get_close_matches(name, pool, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"rule {self.text!r}{where} reads unknown figure {name!r}{hint} "
                f"(figures: {', '.join(pool)})"
            )

    def __call__(self, figures: Mapping[str, Any]) -> bool:
        """Whether the condition holds; a missing or NaN figure makes it false."""
        values: dict[str, float] = {}
        for n in self.names:
            v = figures.get(n)
            if v is None or isinstance(v, bool | str):
                return False if v is None or isinstance(v, str) else self._fn_bool(n, v, figures)
            values[n] = float(v)
            if math.isnan(values[n]):
                return False
        try:
            return bool(self._fn(values))
        except (ArithmeticError, ValueError, TypeError):
            return False

    def _fn_bool(self, name: str, value: bool, figures: Mapping[str, Any]) -> bool:
        return self({**figures, name: float(value)})

"""``hf.Objective``: what a study maximizes or minimizes, and under which constraints.

Expressions are parsed with :mod:`ast` and evaluated by a small interpreter
over numbers and metric names: nothing is ``eval``-ed, and only arithmetic,
comparisons and a few math functions are accepted.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hyperflow._errors import OptimizeError

__all__ = ["Constraint", "Expression", "Objective"]

_BINOPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
}
_FUNCS: dict[str, Callable[..., float]] = {
    "log": math.log,
    "log10": math.log10,
    "exp": math.exp,
    "sqrt": math.sqrt,
    "abs": abs,
    "min": min,
    "max": max,
}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}

Evaluator = Callable[[Mapping[str, float]], float]


def _compile(node: ast.AST, text: str, names: set[str]) -> Evaluator:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        value = float(node.value)
        return lambda m: value
    if isinstance(node, ast.Name):
        name = node.id
        names.add(name)
        return lambda m: float(m[name])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _compile(node.operand, text, names)
        if isinstance(node.op, ast.USub):
            return lambda m: -inner(m)
        return inner
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        op = _BINOPS[type(node.op)]
        left = _compile(node.left, text, names)
        right = _compile(node.right, text, names)
        return lambda m: op(left(m), right(m))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCS
        and not node.keywords
    ):
        fn = _FUNCS[node.func.id]
        args = [_compile(a, text, names) for a in node.args]
        return lambda m: float(fn(*(a(m) for a in args)))
    snippet = ast.get_source_segment(text, node) or type(node).__name__
    raise OptimizeError(
        f"unsupported element {snippet!r} in expression {text!r}; use numbers, metric names, "
        f"+ - * / ** %, parentheses and {', '.join(sorted(_FUNCS))}()"
    )


def _parse(text: str) -> ast.expr:
    if not isinstance(text, str) or not text.strip():
        raise OptimizeError(f"an expression must be a non-empty string, but got {text!r}")
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise OptimizeError(f"cannot parse expression {text!r}: {exc.msg}") from None


@dataclass(frozen=True)
class Expression:
    """An arithmetic expression over metric names, e.g. ``"0.7 * f1 - 0.3 * latency_ms / 100"``.

    Example:
        >>> from hyperflow.optimize import Expression
        >>> Expression("0.7 * f1 - 0.3 * latency_ms / 100")({"f1": 0.9, "latency_ms": 10})
        0.6
    """

    text: str
    names: frozenset[str] = field(init=False)
    _fn: Evaluator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names: set[str] = set()
        fn = _compile(_parse(self.text), self.text.strip(), names)
        object.__setattr__(self, "names", frozenset(names))
        object.__setattr__(self, "_fn", fn)

    def __call__(self, metrics: Mapping[str, Any]) -> float:
        missing = sorted(self.names.difference(metrics))
        if missing:
            raise OptimizeError(
                f"expression {self.text!r} uses {', '.join(map(repr, missing))}, which the trial's "
                f"metrics do not contain; available metrics: {', '.join(sorted(metrics)) or 'none'}"
            )
        try:
            return round(self._fn(metrics), 12)
        except (ZeroDivisionError, ValueError, OverflowError, TypeError) as exc:
            raise OptimizeError(f"expression {self.text!r} cannot be evaluated: {exc}") from exc


@dataclass(frozen=True)
class Constraint:
    """An inequality such as ``"latency_ms <= 20"``; ``violation`` ≤ 0 means feasible.

    Chains (``"0.1 <= recall <= 0.9"``) are accepted; the violation is the worst link.
    """

    text: str
    _links: tuple[tuple[Evaluator, str, Evaluator], ...] = field(
        init=False, repr=False, compare=False
    )
    names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        node = _parse(self.text)
        if not isinstance(node, ast.Compare) or not all(type(o) in _COMPARE for o in node.ops):
            raise OptimizeError(
                f"a constraint is an inequality such as 'latency_ms <= 20', but got {self.text!r}"
            )
        names: set[str] = set()
        text = self.text.strip()
        terms = [_compile(t, text, names) for t in [node.left, *node.comparators]]
        links = tuple((terms[i], _COMPARE[type(op)], terms[i + 1]) for i, op in enumerate(node.ops))
        object.__setattr__(self, "_links", links)
        object.__setattr__(self, "names", frozenset(names))

    def violation(self, metrics: Mapping[str, Any]) -> float:
        missing = sorted(self.names.difference(metrics))
        if missing:
            raise OptimizeError(
                f"constraint {self.text!r} uses {', '.join(map(repr, missing))}, which the trial's "
                f"metrics do not contain; available metrics: {', '.join(sorted(metrics)) or 'none'}"
            )
        worst = -math.inf
        for left, op, right in self._links:
            a, b = left(metrics), right(metrics)
            worst = max(worst, a - b if op in ("<", "<=") else b - a)
        return worst


class Objective:
    """What a study optimizes.

    Args:
        expression: one expression to optimize (single objective), e.g.
            ``"0.7 * f1 - 0.3 * latency_ms / 100"``. Omit it for multi-objective.
        maximize: ``True``/``False`` for a single expression; or a list of
            expressions to maximize (multi-objective, together with ``minimize``).
        minimize: a list of expressions to minimize (multi-objective).
        constraints: inequalities over metrics that a feasible trial satisfies.

    Example:
        >>> import hyperflow as hf
        >>> obj = hf.Objective("f1", maximize=True, constraints=["latency_ms <= 20"])
        >>> obj.values({"f1": 0.8, "latency_ms": 25}), obj.feasible({"f1": 0.8, "latency_ms": 25})
        ([0.8], False)
        >>> hf.Objective(maximize=["f1"], minimize=["latency_ms"]).directions
        ['maximize', 'minimize']
    """

    def __init__(
        self,
        expression: str | None = None,
        *,
        maximize: bool | Sequence[str] = True,
        minimize: Sequence[str] | None = None,
        constraints: Sequence[str] = (),
    ) -> None:
        exprs: list[Expression] = []
        directions: list[str] = []
        if expression is not None:
            if not isinstance(maximize, bool) or minimize:
                raise OptimizeError(
                    "give either one expression with maximize=True/False, or lists "
                    "maximize=[...], minimize=[...] for several objectives, not both"
                )
            exprs.append(Expression(expression))
            directions.append("maximize" if maximize else "minimize")
        else:
            if isinstance(maximize, bool):
                maximize = []
            if isinstance(maximize, str) or isinstance(minimize, str):
                raise OptimizeError("maximize=/minimize= take lists of expressions, e.g. ['f1']")
            for text in maximize:
                exprs.append(Expression(text))
                directions.append("maximize")
            for text in minimize or ():
                exprs.append(Expression(text))
                directions.append("minimize")
            if not exprs:
                raise OptimizeError(
                    "an Objective needs an expression, e.g. hf.Objective('f1'), or "
                    "maximize=[...]/minimize=[...] lists"
                )
        if isinstance(constraints, str):
            constraints = [constraints]
        self.expressions: tuple[Expression, ...] = tuple(exprs)
        self.directions: list[str] = directions
        self.constraints: tuple[Constraint, ...] = tuple(Constraint(c) for c in constraints)

    def __repr__(self) -> str:
        parts = [f"{d} {e.text!r}" for d, e in zip(self.directions, self.expressions, strict=True)]
        if self.constraints:
            parts.append("subject to " + ", ".join(repr(c.text) for c in self.constraints))
        return f"Objective({'; '.join(parts)})"

    @property
    def multi(self) -> bool:
        return len(self.expressions) > 1

    @property
    def names(self) -> frozenset[str]:
        """Every metric name the objective and constraints read."""
        out: set[str] = set()
        for e in self.expressions:
            out |= e.names
        for c in self.constraints:
            out |= c.names
        return frozenset(out)

    def values(self, metrics: Mapping[str, Any]) -> list[float]:
        return [e(metrics) for e in self.expressions]

    def violations(self, metrics: Mapping[str, Any]) -> list[float]:
        return [c.violation(metrics) for c in self.constraints]

    def feasible(self, metrics: Mapping[str, Any]) -> bool:
        return all(v <= 0 for v in self.violations(metrics))

    @classmethod
    def coerce(cls, value: Objective | str | None) -> Objective:
        if isinstance(value, Objective):
            return value
        if isinstance(value, str):
            return cls(value)
        raise OptimizeError(
            f"objective must be an hf.Objective or an expression string, but got {value!r}"
        )

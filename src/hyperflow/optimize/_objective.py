"""``hf.Objective``: what a study maximizes or minimizes, and under which constraints.

Expressions are parsed with :mod:`ast` and evaluated by a small interpreter
over numbers and metric names: nothing is ``eval``-ed, and only arithmetic,
comparisons and a few math functions are accepted.
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hyperflow._errors import OptimizeError

__all__ = [
    "MAX_EXPRESSION_CHARS",
    "MAX_EXPRESSION_DEPTH",
    "Constraint",
    "Evaluation",
    "Expression",
    "Objective",
]


def _pow(a: float, b: float) -> float:
    """``a ** b`` over the reals: a negative base with a fractional exponent is an error."""
    result: float | complex = a**b
    if isinstance(result, complex):
        raise ValueError(f"{a} ** {b} is not a real number")
    return result


_BINOPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: _pow,
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

MAX_EXPRESSION_CHARS = 1000
"""Longest objective or constraint text accepted (a larger one is refused, not parsed)."""
MAX_EXPRESSION_DEPTH = 100
"""Deepest nesting of an expression's syntax tree (parentheses, operators, calls)."""

# what evaluating arithmetic over metric values can raise: a trial-level problem
_NUMERIC_ERRORS = (ArithmeticError, ValueError, TypeError)


def _shown(text: str, limit: int = 80) -> str:
    """``text`` for an error message: repr'd, long ones cut in the middle."""
    if len(text) <= limit:
        return repr(text)
    half = limit // 2
    return repr(f"{text[:half]} ... {text[-half:]}") + f" ({len(text)} characters)"


def _dotted(node: ast.AST) -> str | None:
    """``a`` or ``a.b.c`` as a metric name; ``None`` for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _compile(node: ast.AST, text: str, names: set[str]) -> Evaluator:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        try:
            value = float(node.value)
        except OverflowError:
            raise OptimizeError(
                f"number {_shown(str(node.value))} in expression {_shown(text)} is too large "
                "for a float"
            ) from None
        return lambda m: value
    dotted = _dotted(node)
    if dotted is not None:  # a metric name, dotted ones too (``f1.std`` of hf.folds)
        name = dotted
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
        f"unsupported element {_shown(snippet)} in expression {_shown(text)}; use numbers, "
        f"metric names, + - * / ** %, parentheses and {', '.join(sorted(_FUNCS))}()"
    )


def _check_depth(tree: ast.AST, text: str) -> None:
    """Refuse trees nested deeper than ``MAX_EXPRESSION_DEPTH`` (walked without recursion)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_EXPRESSION_DEPTH:
            raise OptimizeError(
                f"expression {_shown(text)} is nested more than {MAX_EXPRESSION_DEPTH} levels "
                f"deep (MAX_EXPRESSION_DEPTH); split it or simplify it"
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _parse(text: str) -> ast.expr:
    if not isinstance(text, str) or not text.strip():
        raise OptimizeError(f"an expression must be a non-empty string, but got {text!r}")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise OptimizeError(
            f"expression {_shown(text)} is longer than {MAX_EXPRESSION_CHARS} characters "
            f"(MAX_EXPRESSION_CHARS); write a shorter expression"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise OptimizeError(f"cannot parse expression {_shown(text)}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise OptimizeError(
            f"expression {_shown(text)} is nested too deeply to parse (at most "
            f"{MAX_EXPRESSION_DEPTH} levels, MAX_EXPRESSION_DEPTH)"
        ) from None
    _check_depth(tree, text)
    return tree


def _require(names: frozenset[str], metrics: Mapping[str, Any], what: str) -> None:
    """Raise naming the metrics ``what`` reads that ``metrics`` lacks, the ones there are,
    and the closest match."""
    missing = sorted(names.difference(metrics))
    if not missing:
        return
    available = sorted(map(str, metrics))
    hint = ""
    close = difflib.get_close_matches(missing[0], available, n=1)
    if close:
        hint = f"; did you mean {close[0]!r}?"
    raise OptimizeError(
        f"{what} uses {', '.join(map(repr, missing))}, which the trial's metrics do not "
        f"contain; available metrics: {', '.join(available) or 'none'}{hint}"
    )


def _finite(names: frozenset[str], metrics: Mapping[str, Any]) -> bool:
    """Whether every metric in ``names`` is a finite number (no NaN, no ±inf)."""
    return all(math.isfinite(float(metrics[n])) for n in names)


def _constant(fn: Evaluator, text: str) -> Evaluator:
    """Evaluate a term without metric names once, now: overflow is an error at definition."""
    try:
        value = fn({})
    except _NUMERIC_ERRORS as exc:
        raise OptimizeError(
            f"expression {_shown(text)} cannot be evaluated: {type(exc).__name__}: {exc}"
        ) from None
    return lambda m: value


@dataclass(frozen=True)
class Expression:
    """An arithmetic expression over metric names, e.g. ``"0.7 * f1 - 0.3 * latency_ms / 100"``.

    At most ``MAX_EXPRESSION_CHARS`` characters and ``MAX_EXPRESSION_DEPTH`` levels.

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
        text = self.text.strip() if isinstance(self.text, str) else self.text
        fn = _compile(_parse(self.text), text, names)
        object.__setattr__(self, "names", frozenset(names))
        object.__setattr__(self, "_fn", fn if names else _constant(fn, text))

    def __reduce__(self) -> tuple[type[Expression], tuple[str]]:
        """Pickled as its text (compiled again where it is loaded, e.g. in a worker)."""
        return (Expression, (self.text,))

    def __call__(self, metrics: Mapping[str, Any]) -> float:
        _require(self.names, metrics, f"expression {_shown(self.text)}")
        try:
            return self._value(metrics)
        except _NUMERIC_ERRORS as exc:
            raise OptimizeError(
                f"expression {_shown(self.text)} cannot be evaluated: {exc}"
            ) from exc

    def _value(self, metrics: Mapping[str, Any]) -> float:
        """The value, without the name check; arithmetic errors propagate as they are."""
        return round(self._fn(metrics), 12)


@dataclass(frozen=True)
class Constraint:
    """An inequality such as ``"latency_ms <= 20"``; ``violation`` ≤ 0 means feasible.

    Chains (``"0.1 <= recall <= 0.9"``) are accepted; the violation is the worst link.
    A NaN or infinite metric makes the constraint violated (``violation == inf``).
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
                "a constraint is an inequality such as 'latency_ms <= 20', but got "
                f"{_shown(self.text)}"
            )
        names: set[str] = set()
        text = self.text.strip()
        terms = []
        for t in [node.left, *node.comparators]:
            own: set[str] = set()
            fn = _compile(t, text, own)
            terms.append(fn if own else _constant(fn, text))
            names |= own
        links = tuple((terms[i], _COMPARE[type(op)], terms[i + 1]) for i, op in enumerate(node.ops))
        object.__setattr__(self, "_links", links)
        object.__setattr__(self, "names", frozenset(names))

    def violation(self, metrics: Mapping[str, Any]) -> float:
        """How far the worst link is from holding (≤ 0: feasible; ``inf`` for NaN/inf metrics)."""
        _require(self.names, metrics, f"constraint {_shown(self.text)}")
        try:
            return self._raw_violation(metrics)
        except _NUMERIC_ERRORS as exc:
            raise OptimizeError(
                f"constraint {_shown(self.text)} cannot be evaluated: {exc}"
            ) from exc

    def _raw_violation(self, metrics: Mapping[str, Any]) -> float:
        """``violation`` without the name check; arithmetic errors propagate as they are."""
        if not _finite(self.names, metrics):
            return math.inf
        worst = -math.inf
        for left, op, right in self._links:
            a, b = left(metrics), right(metrics)
            gap = a - b if op in ("<", "<=") else b - a
            if math.isnan(gap):  # NaN from arithmetic, or inf - inf
                return math.inf
            worst = max(worst, gap)
        return worst


@dataclass(frozen=True)
class Evaluation:
    """An objective applied to one trial's metrics.

    ``error`` says why the trial counts as failed (an objective value that is NaN,
    infinite, reads a NaN/inf metric, or cannot be computed); then ``values`` is empty.
    """

    values: list[float]
    violations: list[float]
    error: str | None = None

    @property
    def feasible(self) -> bool:
        return self.error is None and all(v <= 0 for v in self.violations)


class Objective:
    """What a study optimizes.

    Args:
        expression: one expression to optimize (single objective), e.g.
            ``"0.7 * f1 - 0.3 * latency_ms / 100"``. Omit it for multi-objective.
        maximize: ``True`` (default) / ``False`` for a single expression; or a list
            of expressions to maximize (multi-objective, together with ``minimize``).
        minimize: ``True`` to minimize a single expression; or a list of
            expressions to minimize (multi-objective).
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
        maximize: bool | Sequence[str] | None = None,
        minimize: bool | Sequence[str] | None = None,
        constraints: Sequence[str] = (),
    ) -> None:
        if expression is not None:
            pairs = [(Expression(expression), _single_direction(maximize, minimize))]
        else:
            pairs = _several(maximize, minimize)
        if isinstance(constraints, str):
            constraints = [constraints]
        self.expressions: tuple[Expression, ...] = tuple(e for e, _ in pairs)
        self.directions: list[str] = [d for _, d in pairs]
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

    def evaluate(self, metrics: Mapping[str, Any]) -> Evaluation:
        """Values and violations for one trial's metrics, or why the trial counts as failed.

        Raises ``OptimizeError`` when an expression or constraint reads a metric that
        ``metrics`` lacks (a mistake in the objective, not in the trial).
        """
        for e in self.expressions:
            _require(e.names, metrics, f"objective {_shown(e.text)}")
        for c in self.constraints:
            _require(c.names, metrics, f"constraint {_shown(c.text)}")
        values = []
        for e in self.expressions:
            try:
                value = e._value(metrics)
            except _NUMERIC_ERRORS as exc:
                return Evaluation([], [], f"objective {_shown(e.text)} cannot be evaluated: {exc}")
            if not (math.isfinite(value) and _finite(e.names, metrics)):
                used = ", ".join(f"{n}={float(metrics[n])}" for n in sorted(e.names))
                return Evaluation(
                    [], [], f"objective {_shown(e.text)} is {value} ({used}): not a finite number"
                )
            values.append(value)
        try:
            violations = [c._raw_violation(metrics) for c in self.constraints]
        except _NUMERIC_ERRORS as exc:
            return Evaluation([], [], f"a constraint cannot be evaluated: {exc}")
        return Evaluation(values, violations)

    @classmethod
    def coerce(cls, value: Objective | str | None) -> Objective:
        if isinstance(value, Objective):
            return value
        if isinstance(value, str):
            return cls(value)
        raise OptimizeError(
            f"objective must be an hf.Objective or an expression string, but got {value!r}"
        )


def _single_direction(
    maximize: bool | Sequence[str] | None, minimize: bool | Sequence[str] | None
) -> str:
    """The direction of one expression: ``maximize=True`` (default), ``maximize=False`` or
    ``minimize=True``."""
    if minimize is not None and not isinstance(minimize, bool) and len(minimize) == 0:
        minimize = None  # minimize=[] with one expression: nothing to add
    if (maximize is not None and not isinstance(maximize, bool)) or (
        minimize is not None and not isinstance(minimize, bool)
    ):
        raise OptimizeError(
            "give either one expression with maximize=True/False (or minimize=True), or lists "
            "maximize=[...], minimize=[...] for several objectives, not both"
        )
    if maximize is not None and minimize is not None and maximize == minimize:
        raise OptimizeError(
            f"maximize={maximize} and minimize={minimize} contradict each other; give one of them"
        )
    if minimize is True or maximize is False:
        return "minimize"
    return "maximize"


def _several(
    maximize: bool | Sequence[str] | None, minimize: bool | Sequence[str] | None
) -> list[tuple[Expression, str]]:
    """Expressions and directions from ``maximize=[...]`` / ``minimize=[...]`` lists."""
    if isinstance(maximize, str) or isinstance(minimize, str):
        raise OptimizeError("maximize=/minimize= take lists of expressions, e.g. ['f1']")
    up = [] if maximize is None or isinstance(maximize, bool) else list(maximize)
    down = [] if minimize is None or isinstance(minimize, bool) else list(minimize)
    pairs = [(Expression(t), "maximize") for t in up] + [(Expression(t), "minimize") for t in down]
    if not pairs:
        raise OptimizeError(
            "an Objective needs an expression, e.g. hf.Objective('f1'), or "
            "maximize=[...]/minimize=[...] lists"
        )
    return pairs

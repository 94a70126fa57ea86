"""The champion/challenger gate: every rule with its figures, on the same holdout.

A rule is a :class:`RuleResult`; the gate passes when no rule fails (a rule that has
nothing to judge, e.g. no suite bound to the model, is ``skipped`` and does not fail).
Rules over rows (slices, fairness, live traffic) are in ``_gate_rows``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hyperflow._errors import RetrainError
from hyperflow.retrain._gate_config import GateConfig

__all__ = ["GateContext", "RuleResult", "metric_rules", "schema_rule", "suite_rule"]


@dataclass(frozen=True)
class RuleResult:
    """One gate rule's verdict: ``figures`` holds the numbers it was decided on."""

    rule: str
    passed: bool
    figures: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    skipped: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (stored with the decision)."""
        return {
            "rule": self.rule,
            "passed": self.passed,
            "skipped": self.skipped,
            "figures": self.figures,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleResult:
        """The inverse of :meth:`to_dict`."""
        return cls(
            rule=str(data["rule"]),
            passed=bool(data["passed"]),
            figures=dict(data.get("figures") or {}),
            message=str(data.get("message") or ""),
            skipped=bool(data.get("skipped", False)),
        )


@dataclass
class GateContext:
    """What the rules judge: both sides' holdout metrics, predictors and rows."""

    config: GateConfig
    objective: Any  # hyperflow.optimize.Objective
    challenger_metrics: dict[str, float]
    champion_metrics: dict[str, float]
    challenger_model: Callable[[Any], Any] | None = None
    champion_model: Callable[[Any], Any] | None = None
    holdout: Any = None  # a DataFrame of labelled rows, when configured
    suites: list[str] = field(default_factory=list)
    challenger_predictor: Any = None  # hyperflow.registry.Predictor
    champion_predictor: Any = None
    data: tuple[Any, Any] | None = None  # (champion's training rows, challenger's)


def _skip(rule: str, message: str) -> RuleResult:
    return RuleResult(rule, True, {}, message, skipped=True)


def improvement_rule(ctx: GateContext) -> RuleResult:
    """The objective improves by at least ``min_improvement`` (absolute or relative)."""
    objective = ctx.objective
    text = objective.expressions[0].text
    new = float(objective.values(ctx.challenger_metrics)[0])
    old = float(objective.values(ctx.champion_metrics)[0])
    gain = new - old if objective.directions[0] == "maximize" else old - new
    cfg = ctx.config
    figure = gain / abs(old) if cfg.relative and old else gain
    ok = not math.isnan(figure) and figure >= cfg.min_improvement
    kind = "relative" if cfg.relative else "absolute"
    figures = {
        "objective": text,
        "challenger": new,
        "champion": old,
        "improvement": figure,
        "min_improvement": cfg.min_improvement,
        "relative": cfg.relative,
    }
    message = (
        f"{text}: {new:.4g} vs {old:.4g}, {kind} improvement {figure:+.4g} "
        f"{'>=' if ok else '<'} {cfg.min_improvement:g}"
    )
    return RuleResult("improvement", ok, figures, message)


def constraints_rule(ctx: GateContext) -> RuleResult:
    """Every constraint (the project's and the gate's) holds on the challenger's metrics."""
    from hyperflow.optimize import Objective

    texts = [c.text for c in ctx.objective.constraints] + list(ctx.config.constraints)
    if not texts:
        return _skip("constraints", "no constraints configured")
    checker = Objective(ctx.objective.expressions[0].text, constraints=texts)
    violations = checker.violations(ctx.challenger_metrics)
    figures = {t: {"violation": v, "holds": v <= 0} for t, v in zip(texts, violations, strict=True)}
    broken = [t for t, v in zip(texts, violations, strict=True) if v > 0]
    message = f"broken: {', '.join(broken)}" if broken else f"{len(texts)} hold"
    return RuleResult("constraints", not broken, figures, message)


def metric_rules(ctx: GateContext) -> list[RuleResult]:
    """The rules over holdout metrics: improvement and constraints."""
    return [improvement_rule(ctx), constraints_rule(ctx)]


def suite_rule(ctx: GateContext) -> RuleResult:
    """Every behavioural suite bound to the champion (and the gate's ``suites``) passes."""
    from hyperflow.testing import load_suite

    if not ctx.suites:
        return _skip("suites", "no behavioural suite bound to the model or configured")
    if ctx.challenger_predictor is None:
        raise RetrainError("the suites rule needs the challenger's predictor")
    figures: dict[str, Any] = {}
    failed = []
    for ref in ctx.suites:
        result = load_suite(ref).run(ctx.challenger_predictor)
        figures[ref] = {"passed": bool(result.passed), "pass_rate": float(result.pass_rate)}
        if not result.passed:
            failed.append(ref)
    message = f"failed: {', '.join(failed)}" if failed else f"{len(ctx.suites)} passed"
    return RuleResult("suites", not failed, figures, message)


def schema_rule(ctx: GateContext) -> RuleResult:
    """The new training rows validate against the schema inferred from the champion's."""
    from hyperflow.testing import infer_schema, validate

    if ctx.data is None:
        return _skip("schema", "no training data output configured (gate.data)")
    old, new = ctx.data
    violations = validate(new, infer_schema(old))
    columns = sorted({str(c) for c in violations["column"].dropna()}) if len(violations) else []
    figures = {"violations": len(violations), "columns": columns, "rows": len(new)}
    message = (
        f"{len(violations)} violation(s) in {', '.join(columns)}"
        if len(violations)
        else f"{len(new)} rows valid"
    )
    return RuleResult("schema", violations.empty, figures, message)


def passed(rules: Sequence[RuleResult]) -> bool:
    """The gate's verdict: no rule failed."""
    return all(r.passed for r in rules)

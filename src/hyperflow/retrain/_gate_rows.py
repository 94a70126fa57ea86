"""Gate rules over rows: slices and fairness on the holdout, and the last live window.

Slices and fairness score the fitted models on the holdout rows with
``hf.testing.fairness`` (per-group metrics through Fairlearn's ``MetricFrame``), the
same code for champion and challenger. The live rule replays the last labelled window
of the prediction log through both models and compares them with the ground truth.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from hyperflow.retrain._gate import GateContext, RuleResult
from hyperflow.retrain._gate_config import FairnessRule, SliceRule

__all__ = ["fairness_rules", "live_rule", "slice_rules"]


def _frame_predictor(model: Any) -> Any:
    def predict(frame: Any) -> list[Any]:
        return list(model.predict(frame))

    return predict


def _per_group(model: Any, ctx: GateContext, column: str, metric: str) -> dict[str, float]:
    from hyperflow.testing import fairness

    result = fairness(
        _frame_predictor(model),
        ctx.holdout,
        sensitive=[column],
        target=str(ctx.config.target),
        metrics=[metric],
        min_group_size=1,
        n_boot=0,
    )
    return {g.label: float(g.values[metric]) for g in result.groups}


def _slice(ctx: GateContext, rule: SliceRule) -> RuleResult:
    new = _per_group(ctx.challenger_model, ctx, rule.column, rule.metric)
    old = _per_group(ctx.champion_model, ctx, rule.column, rule.metric)
    drops = {g: old[g] - new[g] for g in new if g in old}
    worst = max(drops, key=lambda g: drops[g]) if drops else None
    ok = worst is None or drops[worst] <= rule.max_drop
    figures = {
        "column": rule.column,
        "metric": rule.metric,
        "max_drop": rule.max_drop,
        "groups": {g: {"challenger": new[g], "champion": old[g], "drop": drops[g]} for g in drops},
    }
    message = (
        f"largest {rule.metric} drop {drops[worst]:+.4g} in {worst} "
        f"({'<=' if ok else '>'} {rule.max_drop:g})"
        if worst is not None
        else "no groups"
    )
    return RuleResult(f"slice:{rule.column}", ok, figures, message)


def slice_rules(ctx: GateContext) -> list[RuleResult]:
    """One rule per configured slice: no group's metric drops by more than ``max_drop``."""
    return [_slice(ctx, rule) for rule in ctx.config.slices]


def _fairness(ctx: GateContext, rule: FairnessRule) -> RuleResult:
    from hyperflow.testing import fairness

    result = fairness(
        _frame_predictor(ctx.challenger_model),
        ctx.holdout,
        sensitive=rule.sensitive,
        target=str(ctx.config.target),
        metrics=[rule.metric],
        min_group_size=rule.min_group_size,
        n_boot=0,
    )
    diff = float(result.difference[rule.metric])
    ok = diff <= rule.max_difference
    figures = {
        "sensitive": rule.sensitive,
        "metric": rule.metric,
        "max_difference": rule.max_difference,
        "difference": diff,
        "groups": {g.label: g.values[rule.metric] for g in result.groups},
        "small_groups": [g.label for g in result.small_groups],
    }
    message = (
        f"{rule.metric} differs by {diff:.4g} between groups of {', '.join(rule.sensitive)} "
        f"({'<=' if ok else '>'} {rule.max_difference:g})"
    )
    return RuleResult(f"fairness:{'+'.join(rule.sensitive)}", ok, figures, message)


def fairness_rules(ctx: GateContext) -> list[RuleResult]:
    """One rule per fairness entry: ``max_difference`` between groups holds."""
    return [_fairness(ctx, rule) for rule in ctx.config.fairness]


def _score(outputs: list[Any], truth: list[Any]) -> tuple[str, float]:
    """Accuracy for labels (text, booleans, integers), mean absolute error for real numbers."""
    real = any(isinstance(v, float) and not float(v).is_integer() for v in [*truth, *outputs])
    if real:
        mae = sum(abs(float(o) - float(t)) for o, t in zip(outputs, truth, strict=True))
        return "mae", mae / len(truth)
    same = sum(str(o) == str(t) for o, t in zip(outputs, truth, strict=True))
    return "accuracy", same / len(truth)


def live_rule(ctx: GateContext, name: str, store: Any) -> RuleResult | None:
    """Both models on the last labelled live window; ``None`` when not configured."""
    from hyperflow.monitor._config import parse_duration
    from hyperflow.store import get_prediction_log

    cfg = ctx.config
    if not cfg.use_feedback or cfg.live_window is None:
        return None
    seconds = parse_duration(cfg.live_window, "live_window")
    since = datetime.fromtimestamp(time.time() - seconds, tz=UTC).replace(tzinfo=None)
    log = get_prediction_log(store.url if hasattr(store, "url") else store)
    rows = log.search(name, since=since)
    labelled = rows[rows["ground_truth"].notna()] if len(rows) else rows
    if not len(labelled):
        return RuleResult(
            "live",
            True,
            {"window": cfg.live_window, "rows": 0},
            f"no labelled live traffic in the last {cfg.live_window}",
            skipped=True,
        )
    inputs = list(labelled["inputs"])
    truth = list(labelled["ground_truth"])
    metric, new = _score(ctx.challenger_predictor.predict_many(inputs), truth)
    _, old = _score(ctx.champion_predictor.predict_many(inputs), truth)
    ok = new <= old if metric == "mae" else new >= old
    figures = {
        "window": cfg.live_window,
        "rows": len(truth),
        "metric": metric,
        "challenger": new,
        "champion": old,
    }
    message = f"live {metric} on {len(truth)} labelled rows: {new:.4g} vs {old:.4g}"
    return RuleResult("live", ok, figures, message)

"""What the run page and the compare page show, gathered from the store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperflow._errors import HyperflowError
from hyperflow.store import MetadataStore, RunRecord
from hyperflow.ui._charts import line_chart

if TYPE_CHECKING:
    from hyperflow.core import Pipeline

__all__ = ["compare_context", "dag_svg", "metric_curves", "parallel_svg"]

_MAX_CURVES = 12


def metric_curves(store: MetadataStore, rec: RunRecord) -> dict[str, str]:
    """One step-curve SVG per metric that has more than one point."""
    out: dict[str, str] = {}
    for key in sorted(rec.metrics)[:_MAX_CURVES]:
        points = store.metric_history(rec.run_id, key)
        if len(points) > 1:
            out[key] = line_chart(key, [(key, [(float(p.step), p.value) for p in points])])
    return out


def dag_svg(pipeline: Pipeline | None, rec: RunRecord) -> str | None:
    """The run drawn on its pipeline's DAG (timings, cache hits, failed node), if known."""
    if pipeline is None or not rec.nodes:
        return None
    from hyperflow.core import graph_view
    from hyperflow.viz import RunMarks, view_figure

    marks = RunMarks(
        {k: n.seconds for k, n in rec.nodes.items()},
        {k: n.cache_hit for k, n in rec.nodes.items()},
        rec.failed_node,
    )
    try:
        view = graph_view(pipeline, config=rec.config)
        return view_figure(view, marks=marks, title=f"{pipeline.name} · {rec.run_id[:8]}").svg
    except HyperflowError:  # the pipeline changed since the run: the node table stays
        return None


def _text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)


def compare_context(runs: Sequence[RunRecord]) -> dict[str, Any]:
    """Rows for the compare page: config/param rows (differing first) and metric rows."""
    def rows(kind: str) -> list[dict[str, Any]]:
        keys = sorted({k for r in runs for k in getattr(r, kind)})
        out = []
        for k in keys:
            values = [getattr(r, kind).get(k) for r in runs]
            differs = len({_text(v) for v in values}) > 1
            out.append({"key": k, "values": values, "differs": differs})
        return sorted(out, key=lambda row: not row["differs"]) if kind != "metrics" else out

    return {"params": rows("params"), "config": rows("config"), "metrics": rows("metrics")}


def parallel_svg(runs: Sequence[RunRecord], metric: str | None) -> str | None:
    """Parallel coordinates of the runs: an axis per differing param, then ``metric``."""
    from hyperflow.viz import plot_parallel

    keys = sorted({k for r in runs for k in r.metrics})
    metric = metric if metric in keys else (keys[0] if keys else None)
    if metric is None:
        return None
    params = sorted({k for r in runs for k in r.params})
    varied = [p for p in params if len({_text(r.params.get(p)) for r in runs}) > 1][:12]
    trials = [
        {"number": i, "value": r.metrics.get(metric), "params": r.params,
         "state": "COMPLETE" if metric in r.metrics else "FAIL"}
        for i, r in enumerate(runs)
    ]
    try:
        fig = plot_parallel(trials, direction="maximize", params=varied,
                            title=f"parallel coordinates · {metric}")
    except HyperflowError:
        return None
    return fig.svg

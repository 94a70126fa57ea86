"""Training data lineage for model cards: fingerprints, row counts and date ranges.

At registration, the registry reads the data the training run consumed: the train
pipeline's inputs given to ``register(inputs=...)`` and the outputs of the nodes the
registered artifacts depend on (the model itself excluded). Each value that is a
DataFrame, Series or array (or a dataclass, mapping or tuple holding some, one level
deep, e.g. ``split.train``) is summarized as its content fingerprint, row count and,
when it has a datetime column or index, the first and last timestamp.

The node outputs are recomputed at the run's config with the cache on, so a cached run
costs a cache read. Nothing is summarized from code that changed since the run (the
node's code version differs from the one the run recorded) or from inputs whose
fingerprint differs from the run's: what the card shows is what the run used. When the
summary cannot be made, the reason is kept instead (``data_summary_note``) and shown.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from hyperflow.core import Pipeline
from hyperflow.registry._common import log
from hyperflow.store import RunRecord

__all__ = ["DATA_NOTE_KEY", "DATA_SUMMARY_KEY", "data_lineage", "find_train", "summarize"]

#: lineage key: ``{name: {"fingerprint", "rows", "source", ["date_column", "date_min",
#: "date_max"]}}`` for each DataFrame/array the training run consumed
DATA_SUMMARY_KEY = "data_summary"
#: lineage key: why no (or a partial) data summary was recorded
DATA_NOTE_KEY = "data_summary_note"


def _iso(value: Any) -> str:
    stamp = getattr(value, "isoformat", None)
    if callable(stamp):
        return str(stamp())
    return str(value)


def _date_range(value: Any) -> dict[str, str]:
    """``date_column``, ``date_min``, ``date_max`` of a datetime index or column, if any."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame | pd.Series) and isinstance(value.index, pd.DatetimeIndex):
        found: tuple[str, Any] | None = ("(index)", value.index)
    elif isinstance(value, pd.DataFrame):
        cols = [c for c in value.columns if pd.api.types.is_datetime64_any_dtype(value[c])]
        found = (str(cols[0]), value[cols[0]]) if cols else None
    elif isinstance(value, pd.Series) and pd.api.types.is_datetime64_any_dtype(value):
        found = (str(value.name or "(values)"), value)
    elif isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.datetime64):
        found = ("(values)", pd.Series(value.ravel()))
    else:
        found = None
    if found is None or len(found[1]) == 0:
        return {}
    column, stamps = found
    lo, hi = stamps.min(), stamps.max()
    if pd.isna(lo):
        return {}
    return {"date_column": column, "date_min": _iso(lo), "date_max": _iso(hi)}


def _is_table(value: Any) -> bool:
    import numpy as np
    import pandas as pd

    if isinstance(value, np.ndarray):
        return value.ndim >= 1
    return isinstance(value, pd.DataFrame | pd.Series)


def summarize(value: Any, source: str) -> dict[str, Any] | None:
    """Fingerprint, row count and date range of a DataFrame/Series/array, else ``None``."""
    if not _is_table(value):
        return None
    from hyperflow.engine import fingerprint

    summary: dict[str, Any] = {"fingerprint": fingerprint(value), "rows": len(value)}
    summary.update(_date_range(value))
    summary["source"] = source
    return summary


def _parts(value: Any) -> dict[str, Any]:
    """The fields of a dataclass, mapping or named tuple (one level), by name."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return dict(zip(value._fields, value, strict=True))
    return {}


def _summaries(name: str, value: Any, source: str) -> dict[str, dict[str, Any]]:
    own = summarize(value, source)
    if own is not None:
        return {name: own}
    out: dict[str, dict[str, Any]] = {}
    for part, inner in _parts(value).items():
        found = summarize(inner, source)
        if found is not None:
            out[f"{name}.{part}"] = found
    return out


def find_train(run: RunRecord, predict_ref: str) -> Pipeline | None:
    """The train pipeline named like the run's, defined in the predict pipeline's module."""
    try:
        namespace = vars(importlib.import_module(predict_ref.partition(":")[0]))
    except Exception:  # predict= imported it already; be safe anyway
        return None
    found = [
        v for v in namespace.values() if isinstance(v, Pipeline) and v.name == run.pipeline
    ]
    return found[0] if len(found) == 1 else None


def _data_outputs(
    train: Pipeline, run: RunRecord, artifacts: Sequence[str], given: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Outputs upstream of ``artifacts`` whose node code is the run's, and changed nodes."""
    from hyperflow.core import NestedStep
    from hyperflow.engine import node_version

    plan = train.plan(config=run.config, outputs=list(artifacts), inputs=given)
    recorded = (run.lineage or {}).get("code_versions") or {}
    outputs: list[str] = []
    changed: list[str] = []
    for step in plan.steps:
        provides = [p for p in step.node.provides if p not in artifacts]
        if not provides or isinstance(step, NestedStep):
            continue
        node = step.node
        if recorded.get(node.key) != node_version(node.func, node.version):
            changed.append(node.key)
            continue
        outputs.extend(provides)
    return outputs, changed


def _input_summaries(
    run: RunRecord, inputs: Mapping[str, Any]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    from hyperflow.engine import fingerprint

    recorded = (run.lineage or {}).get("inputs") or {}
    out: dict[str, dict[str, Any]] = {}
    differ: list[str] = []
    for name, value in inputs.items():
        if name not in recorded or fingerprint(value) != recorded[name]:
            differ.append(name)
            continue
        out.update(_summaries(name, value, "input"))
    return out, differ


def data_lineage(
    run: RunRecord,
    train: Pipeline | None,
    inputs: Mapping[str, Any] | None,
    artifacts: Sequence[str],
) -> dict[str, Any]:
    """The lineage entries ``data_summary`` (and ``data_summary_note``) of a new version."""
    if train is None:
        return {
            DATA_NOTE_KEY: f"train pipeline {run.pipeline!r} not found next to the predict "
            "pipeline; pass register(train=..., inputs=...) to record row counts and dates"
        }
    given = dict(inputs or {})
    summary, differ = _input_summaries(run, given)
    notes = [f"input(s) {differ} differ from the run's: not summarized"] if differ else []
    try:
        outputs, changed = _data_outputs(train, run, artifacts, list(given))
        if changed:
            notes.append(f"node(s) {changed} changed since the run: not summarized")
        if outputs:
            values = train.run(inputs=given, config=run.config, outputs=outputs, track=False)
            for name in outputs:
                summary.update(_summaries(name, values[name], "node"))
    except Exception as exc:  # the version is still registered; the card says why
        log.warning("run %s: no training data summary: %s", run.run_id, exc)
        notes.append(f"could not recompute the training data: {type(exc).__name__}: {exc}")
    out: dict[str, Any] = {DATA_SUMMARY_KEY: summary}
    if notes:
        out[DATA_NOTE_KEY] = "; ".join(notes)
    return out


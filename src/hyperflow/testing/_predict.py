"""Calling a predictor on a batch of inputs and reading one output per row.

A predictor is any callable. Tabular inputs reach it as a DataFrame
(``call="frame"``, the default), a list of dict rows (``call="records"``) or one
dict per call (``call="row"``); text inputs as a list of strings or one string
per call. Its answer is read back as one output per row: a DataFrame gives dict
rows, a Series/array/list one item per row.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from hyperflow._errors import TestingError

__all__ = [
    "CALL_MODES",
    "Batch",
    "Call",
    "JSONValue",
    "from_sklearn",
    "jsonable",
    "predict_batch",
    "row_at",
    "rows_of",
    "to_batch",
]

Call = Literal["frame", "records", "row"]
CALL_MODES: tuple[str, ...] = ("frame", "records", "row")
Batch = pd.DataFrame | list[str]
#: A plain JSON-safe value, as :func:`jsonable` returns it.
JSONValue: TypeAlias = (
    "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
)


def to_batch(inputs: Any, *, what: str) -> Batch:
    """Normalize test inputs to a DataFrame (tabular) or a list of strings (text)."""
    if isinstance(inputs, pd.DataFrame):
        return inputs.reset_index(drop=True)
    if isinstance(inputs, Mapping):
        return pd.DataFrame([dict(inputs)])
    if isinstance(inputs, str):
        return [inputs]
    if isinstance(inputs, Sequence | pd.Series | np.ndarray):
        items = list(inputs)
        if not items:
            raise TestingError(f"{what} got no inputs; pass at least one dict row or string")
        if all(isinstance(x, str) for x in items):
            return [str(x) for x in items]
        if all(isinstance(x, Mapping) for x in items):
            return pd.DataFrame([dict(x) for x in items])
    raise TestingError(
        f"{what} takes a DataFrame, dict rows or strings as inputs, but got "
        f"{type(inputs).__name__}; convert them, e.g. df.to_dict('records')"
    )


def rows_of(batch: Batch) -> list[JSONValue]:
    """The batch as JSON-friendly rows: dicts for a DataFrame, strings for text."""
    if isinstance(batch, pd.DataFrame):
        return [jsonable(r) for r in batch.to_dict("records")]
    return list(batch)


def row_at(batch: Batch, i: int) -> JSONValue:
    """Row ``i`` of the batch, JSON-friendly (a dict for a DataFrame, a string for text)."""
    if isinstance(batch, pd.DataFrame):
        return jsonable(batch.iloc[i : i + 1].to_dict("records")[0])
    return batch[i]


def predict_batch(predictor: Callable[..., Any], batch: Batch, call: str) -> list[Any]:
    """Call ``predictor`` on ``batch`` as ``call`` asks and return one output per row."""
    if call not in CALL_MODES:
        raise TestingError(f"call= must be one of {CALL_MODES}, but got {call!r}")
    n = len(batch)
    if call == "row":
        items: list[Any] = (
            batch.to_dict("records") if isinstance(batch, pd.DataFrame) else list(batch)
        )
        return [predictor(x) for x in items]
    if isinstance(batch, pd.DataFrame):
        arg: Any = batch if call == "frame" else batch.to_dict("records")
    else:
        arg = list(batch)
    outputs = _per_row(predictor(arg))
    if len(outputs) != n:
        raise TestingError(
            f"the predictor returned {len(outputs)} outputs for {n} input rows; it must "
            f"return one output per row (or pass call='row' to call it once per row)"
        )
    return outputs


def _per_row(out: Any) -> list[Any]:
    if isinstance(out, pd.DataFrame):
        return list(out.to_dict("records"))
    if isinstance(out, pd.Series):
        return out.tolist()
    if isinstance(out, np.ndarray):
        return [x for x in out] if out.ndim > 1 else out.tolist()
    if isinstance(out, list | tuple):
        return list(out)
    raise TestingError(
        f"the predictor returned {type(out).__name__}, which is not one output per row; "
        "return a list, array, Series or DataFrame, or pass call='row'"
    )


def jsonable(value: object) -> JSONValue:
    """Convert numpy/pandas scalars and containers into plain JSON-safe Python values."""
    if isinstance(value, np.generic):  # before str/float: np.str_ and np.float64 subclass them
        return jsonable(value.item())
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp | _dt.datetime | _dt.date):
        return value.isoformat()
    if value is pd.NaT or value is pd.NA:
        return None
    return repr(value)


def from_sklearn(model: Any, *, proba: bool | None = None) -> Callable[[Any], list[Any]]:
    """Wrap a fitted scikit-learn estimator as a predictor on DataFrames or dict rows.

    A classifier with ``predict_proba`` answers ``{"label": ..., "proba": {class: p}}``
    per row, the label being the most probable class (so tests can use ``on="label"``
    or ``on=lambda o: o["proba"]["rain"]``); other estimators answer ``predict``'s
    value per row.

    Args:
        model: a fitted estimator.
        proba: include probabilities (default: when the model has ``predict_proba``).

    Example:
        >>> import pandas as pd
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
        >>> clf = DecisionTreeClassifier(random_state=0).fit(X, ["a", "a", "b", "b"])
        >>> from_sklearn(clf)(pd.DataFrame({"x": [3.0]}))
        [{'label': 'b', 'proba': {'a': 0.0, 'b': 1.0}}]
    """
    use_proba = hasattr(model, "predict_proba") if proba is None else proba

    def predict(rows: Any) -> list[Any]:
        frame = rows if isinstance(rows, pd.DataFrame) else to_batch(rows, what="from_sklearn")
        if not use_proba:
            return [jsonable(v) for v in np.asarray(model.predict(frame)).tolist()]
        probs = np.asarray(model.predict_proba(frame))
        classes = [jsonable(c) for c in model.classes_]
        labels = [classes[i] for i in probs.argmax(axis=1)]  # one pass, not predict + proba
        return [
            {"label": lab, "proba": {str(c): float(p) for c, p in zip(classes, row, strict=True)}}
            for lab, row in zip(labels, probs, strict=True)
        ]

    return predict

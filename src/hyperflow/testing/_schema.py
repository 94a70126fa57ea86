"""Data validation on pandera: infer a schema from reference data, validate lazily.

:func:`infer_schema` reads dtypes, numeric ranges (widened by a margin),
allowed categories, text lengths and nullability from a reference DataFrame
and returns a plain ``pandera`` schema, usable as ``@hf.node(check=schema)``.
:func:`validate` collects every violation at once as a DataFrame.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from hyperflow._errors import TestingError

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = ["FAILURE_COLUMNS", "infer_schema", "validate"]

FAILURE_COLUMNS = ["column", "check", "failure_case", "index", "schema_context"]


def _pandera() -> Any:
    try:
        import pandera.pandas as pa
    except ImportError as exc:  # pragma: no cover - pandera is a core dependency
        raise TestingError(
            "data validation needs pandera; install it with `pip install pandera`"
        ) from exc
    return pa


def _round_out(x: float, down: bool) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    digits = 3 - math.floor(math.log10(abs(x)))
    factor = 10.0**digits
    return (math.floor if down else math.ceil)(x * factor) / factor


_CONTROL = {chr(i) for i in range(32)} - {"\t", "\n", "\r"}


def _clean_text(series: pd.Series) -> pd.Series:
    """True where a text encodes as UTF-8 and holds no U+FFFD or control characters.

    U+FFFD (the replacement character) and stray control characters are what
    text decoded with the wrong codec, or with ``errors="replace"``, looks like.
    """

    def ok(v: Any) -> bool:
        text = str(v)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\ufffd" not in text and not _CONTROL.intersection(text)

    return series.map(ok).astype(bool)


def _column(s: pd.Series, pa: Any, margin: float, max_categories: int) -> Any:
    checks = []
    values = s.dropna()
    nullable = bool(s.isna().any())
    if pd.api.types.is_bool_dtype(s) or values.empty:
        pass
    elif pd.api.types.is_numeric_dtype(s):
        lo, hi = float(values.min()), float(values.max())
        pad = margin * (hi - lo) if hi > lo else margin * max(abs(lo), 1.0)
        low, high = _round_out(lo - pad, True), _round_out(hi + pad, False)
        if lo >= 0:  # a non-negative quantity stays non-negative
            low = max(low, 0.0)
        if pd.api.types.is_integer_dtype(s):
            low, high = math.floor(low), math.ceil(high)
        checks.append(pa.Check.in_range(low, high))
    elif pd.api.types.is_datetime64_any_dtype(s):
        pass  # time moves on: new data legitimately lies after the reference
    elif isinstance(s.dtype, pd.CategoricalDtype) or values.nunique() <= max_categories:
        checks.append(pa.Check.isin(sorted(map(str, values.unique()))))
    else:
        lengths = values.astype(str).str.len()
        top = math.ceil(int(lengths.max()) * (1 + margin))
        checks.append(pa.Check.str_length(0, top))
        checks.append(
            pa.Check(
                _clean_text,
                name="clean_text",
                error="text must encode as UTF-8 without U+FFFD or control characters",
            )
        )
    return pa.Column(s.dtype, checks=checks, nullable=nullable)


def infer_schema(
    reference: pd.DataFrame,
    *,
    margin: float = 0.1,
    max_categories: int = 20,
    strict: bool = False,
    name: str | None = None,
) -> pa.DataFrameSchema:
    """Infer a pandera schema from reference data.

    Per column: the dtype; for numbers, the observed range widened by ``margin``
    times its span on each side (never below 0 when the reference has no
    negatives); for text with at most ``max_categories`` distinct values, the
    allowed categories, otherwise a maximum length (widened by ``margin``) and
    clean encoding (UTF-8, no U+FFFD or control characters); nullability as observed.

    Args:
        reference: data the model was trained or validated on.
        margin: relative widening of numeric ranges and text lengths.
        max_categories: text columns with at most this many values are categories.
        strict: reject columns the reference lacks.
        name: the schema's name.

    Example:
        >>> import pandas as pd
        >>> schema = infer_schema(pd.DataFrame({"t": [0.0, 10.0], "kind": ["a", "b"]}))
        >>> validate(pd.DataFrame({"t": [5.0, 99.0], "kind": ["a", "z"]}), schema)[
        ...     ["column", "failure_case"]].to_dict("records")
        [{'column': 't', 'failure_case': 99.0}, {'column': 'kind', 'failure_case': 'z'}]
    """
    if not isinstance(reference, pd.DataFrame) or reference.empty:
        raise TestingError(
            f"infer_schema() needs a non-empty reference DataFrame, but got "
            f"{type(reference).__name__}{' (empty)' if isinstance(reference, pd.DataFrame) else ''}"
        )
    if margin < 0:
        raise TestingError(f"infer_schema(margin=...) must be >= 0, but got {margin}")
    pandera = _pandera()
    columns = {
        str(c): _column(reference[c], pandera, margin, max_categories) for c in reference.columns
    }
    return cast("pa.DataFrameSchema", pandera.DataFrameSchema(columns, strict=strict, name=name))


def validate(data: pd.DataFrame, schema: Any) -> pd.DataFrame:
    """Validate ``data`` lazily and return every violation as a DataFrame.

    Returns:
        one row per failing value, with columns ``column``, ``check``,
        ``failure_case``, ``index`` (the row label, ``None`` for whole-column
        failures such as a missing column) and ``schema_context``; empty when
        the data is valid.

    Example:
        >>> import pandas as pd
        >>> schema = infer_schema(pd.DataFrame({"x": [1, 2, 3]}))
        >>> validate(pd.DataFrame({"x": [2]}), schema).empty
        True
    """
    pa = _pandera()
    if not isinstance(data, pd.DataFrame):
        raise TestingError(f"validate() takes a DataFrame, but got {type(data).__name__}")
    if not hasattr(schema, "validate"):
        raise TestingError(
            f"validate() takes a pandera schema (e.g. from infer_schema), but got "
            f"{type(schema).__name__}"
        )
    try:
        schema.validate(data, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        out = pd.DataFrame({c: cases.get(c) for c in FAILURE_COLUMNS})
        return out.astype(object).where(out.notna(), None).reset_index(drop=True)
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in FAILURE_COLUMNS})

"""Turning user data into named columns of a known kind.

A table is a pandas DataFrame, a Series (one column), a mapping of names to
array-likes (a 2-D array is an embedding column), or a 1-D/2-D numpy array.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from hyperflow._errors import MonitorError

__all__ = [
    "FloatArray",
    "Kind",
    "as_columns",
    "infer_kind",
    "label_counts",
    "native_numbers",
    "to_float",
    "to_matrix",
]

Kind = Literal["numeric", "categorical", "embedding"]
FloatArray = npt.NDArray[np.float64]


def as_columns(data: Any, columns: list[str] | None = None) -> dict[str, Any]:
    """Name → 1-D Series (scalars or vectors) or 2-D ndarray (embeddings)."""
    out: dict[str, Any]
    if isinstance(data, pd.DataFrame):
        out = {str(c): data[c] for c in data.columns}
    elif isinstance(data, pd.Series):
        out = {str(data.name) if data.name is not None else "value": data}
    elif isinstance(data, np.ndarray):
        if data.ndim == 1:
            out = {"value": pd.Series(data)}
        elif data.ndim == 2:
            out = {"embedding": data}
        else:
            raise MonitorError(f"expected a 1-D or 2-D array, got shape {data.shape}.")
    elif isinstance(data, Mapping):
        out = {}
        for k, v in data.items():
            arr = v if isinstance(v, pd.Series) else np.asarray(v)
            out[str(k)] = arr if isinstance(arr, np.ndarray) and arr.ndim == 2 else pd.Series(arr)
    else:
        raise MonitorError(
            "expected a pandas DataFrame, a Series, a mapping of column names to arrays or a "
            f"numpy array, got {type(data).__name__}; convert it with pd.DataFrame(...)."
        )
    if columns is not None:
        out = {c: out[c] for c in columns if c in out}
    return out


def infer_kind(name: str, col: Any, hints: Mapping[str, Kind]) -> Kind:
    """Kind of a column: the user's hint, else from dtype and first value."""
    if name in hints:
        return hints[name]
    if isinstance(col, np.ndarray) and col.ndim == 2:
        return "embedding"
    s: pd.Series[Any] = col
    if pd.api.types.is_bool_dtype(s.dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(s.dtype):
        return "numeric"
    first = s.dropna().head(1)
    if len(first) and isinstance(first.iloc[0], list | tuple | np.ndarray):
        return "embedding"
    return "categorical"


def to_float(col: Any) -> FloatArray | None:
    """Values of a numeric column as float64, or None when they are not numbers."""
    s = col if isinstance(col, pd.Series) else pd.Series(col)
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "fiub":
        return np.asarray(s.to_numpy(), dtype=np.float64)  # no copy for float64
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return np.asarray(s.to_numpy(dtype=np.float64, na_value=np.nan))
    try:
        return np.asarray(pd.to_numeric(s, errors="raise"), dtype=np.float64)
    except (ValueError, TypeError):
        return None


def native_numbers(col: Any) -> npt.NDArray[Any] | None:
    """Numbers of a column without a float64 copy where the dtype allows it."""
    if isinstance(col, pd.Series) and isinstance(col.dtype, np.dtype) and col.dtype.kind in "fiub":
        return col.to_numpy()
    return to_float(col)


def to_matrix(col: Any, name: str) -> FloatArray | None:
    """Rows of an embedding column as a 2-D float array (None if not vectors)."""
    if isinstance(col, np.ndarray) and col.ndim == 2:
        return np.asarray(col, dtype=np.float64)
    s: pd.Series[Any] = col
    if len(s) == 0:
        return np.empty((0, 0))
    try:
        mat = np.stack([np.asarray(v, dtype=np.float64) for v in s.to_numpy()])
    except (ValueError, TypeError):
        return None
    return mat if mat.ndim == 2 else None


def label_counts(col: Any) -> tuple[dict[str, int], int]:
    """Counts of each category (as text) and the number of missing values."""
    s = col if isinstance(col, pd.Series) else pd.Series(col)
    mask = pd.isna(s).to_numpy()
    vc = s[~mask].astype(str).value_counts(sort=False)
    return {str(k): int(v) for k, v in vc.items()}, int(mask.sum())

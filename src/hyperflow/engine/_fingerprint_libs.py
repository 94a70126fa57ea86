"""Fingerprint handlers for numpy, pandas and scipy values.

A library is consulted only when it is already imported (a value of its type
cannot exist otherwise), so fingerprinting never imports heavy packages.
Buffers are fed to the hasher without copies where the memory is contiguous.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

__all__ = ["is_estimator", "resolve"]

Update = Callable[[Any], None]
Handler = Callable[[Any, Update, list[Any]], None]


def _len(n: int) -> bytes:
    return n.to_bytes(8, "little")


def _text(s: str) -> bytes:
    b = s.encode()
    return _len(len(b)) + b


def _dtype_text(dtype: Any) -> bytes:
    return _text(str(dtype.descr) if dtype.fields is not None else dtype.str)


def _feed_ndarray(a: Any, upd: Update, stack: list[Any]) -> None:
    import numpy as np

    upd(b"A" + _dtype_text(a.dtype) + _len(a.ndim) + b"".join(_len(n) for n in a.shape))
    if a.dtype.hasobject:
        stack.append(a.ravel().tolist())
        return
    flat = np.ascontiguousarray(a).reshape(-1)
    upd(flat.view(np.uint8))


def _h_ndarray(a: Any, upd: Update, stack: list[Any]) -> None:
    import numpy as np

    if type(a) is not np.ndarray:
        upd(b"!A" + _text(f"{type(a).__module__}.{type(a).__qualname__}"))
        mask = getattr(a, "mask", None)
        if mask is not None and np.ma.isMaskedArray(a):
            stack.append(np.asarray(np.ma.getmaskarray(a)))
        a = np.asarray(a)
    _feed_ndarray(a, upd, stack)


def _h_npscalar(x: Any, upd: Update, stack: list[Any]) -> None:
    import numpy as np

    _feed_ndarray(np.asarray(x), upd, stack)
    upd(b"0")


def _feed_values(values: Any, upd: Update, stack: list[Any]) -> None:
    """The values of a pandas column or index: raw buffer, or per-element hashes."""
    import numpy as np
    import pandas as pd

    upd(b"V" + _text(str(values.dtype)) + _len(len(values)))
    if isinstance(values, np.ndarray) and not values.dtype.hasobject:
        _feed_ndarray(values, upd, stack)
        return
    chunks = _string_chunks(values)
    if chunks is not None:
        _feed_arrow_strings(chunks, upd)
        return
    try:
        hashed = pd.util.hash_pandas_object(pd.Series(values, copy=False), index=False)
    except TypeError:  # unhashable objects (lists, dicts): element by element
        stack.append(list(values))
        return
    upd(hashed.to_numpy().view(np.uint8))


def _string_chunks(values: Any) -> list[Any] | None:
    """Arrow chunks of a column of strings (Arrow-backed, or object dtype of only str)."""
    import numpy as np

    chunked = getattr(values, "_pa_array", None)
    if chunked is None and isinstance(values, np.ndarray) and len(values):
        import pandas as pd

        if pd.api.types.infer_dtype(values, skipna=False) != "string":
            return None
        try:
            import pyarrow as pa
        except ImportError:  # pyarrow is optional: pandas' hashing instead
            return None

        try:
            return [pa.array(values, type=pa.large_string(), from_pandas=False)]
        except (pa.ArrowException, TypeError, ValueError):
            return None
    if chunked is None:
        return None
    import pyarrow.types as pat

    if not (pat.is_string(chunked.type) or pat.is_large_string(chunked.type)):
        return None
    return list(chunked.chunks)


def _feed_arrow_strings(chunks: list[Any], upd: Update) -> None:
    """Lengths, null mask and UTF-8 bytes, independent of chunking and slicing offsets."""
    import numpy as np
    import pyarrow.types as pat

    spans = []
    for c in chunks:
        if len(c) == 0:
            continue
        width = np.int64 if pat.is_large_string(c.type) else np.int32
        bufs = c.buffers()
        offs = np.frombuffer(bufs[1], dtype=width, count=c.offset + len(c) + 1)[c.offset :]
        upd(np.diff(offs).astype(np.int64, copy=False).view(np.uint8))
        spans.append((c, bufs[2], int(offs[0]), int(offs[-1])))
    if any(c.null_count for c, _, _, _ in spans):
        upd(b"n")
        for c, _, _, _ in spans:
            upd(np.asarray(c.is_null(), dtype=np.bool_).view(np.uint8))
    upd(b"u")
    for _, data, start, stop in spans:
        if data is not None and stop > start:
            upd(memoryview(data)[start:stop])


def _h_index(idx: Any, upd: Update, stack: list[Any]) -> None:
    import pandas as pd

    upd(b"I" + _text(type(idx).__name__))
    stack.append(list(idx.names))
    if isinstance(idx, pd.RangeIndex):
        stack.append((idx.start, idx.stop, idx.step))
    elif isinstance(idx, pd.MultiIndex):
        for i in reversed(range(idx.nlevels)):
            stack.append(idx.get_level_values(i))
    else:
        _feed_values(idx._values, upd, stack)


def _h_series(s: Any, upd: Update, stack: list[Any]) -> None:
    upd(b"Z" + _text(type(s).__name__))
    _feed_values(s._values, upd, stack)
    stack.append(s.index)
    stack.append(s.name)


def _h_frame(df: Any, upd: Update, stack: list[Any]) -> None:
    upd(b"F" + _text(type(df).__name__) + _len(df.shape[0]) + _len(df.shape[1]))
    for i in range(df.shape[1]):
        _feed_values(df.iloc[:, i]._values, upd, stack)
    stack.append(df.index)
    stack.append(df.columns)


def _h_sparse(m: Any, upd: Update, stack: list[Any]) -> None:
    import numpy as np

    csr = m.tocsr(copy=True)
    csr.sum_duplicates()
    csr.sort_indices()
    upd(b"X" + _len(csr.shape[0]) + _len(csr.shape[1]))
    stack.append(np.asarray(csr.indptr, dtype=np.int64))
    stack.append(np.asarray(csr.indices, dtype=np.int64))
    stack.append(np.asarray(csr.data))


def resolve(t: type) -> Handler | None:
    """The handler for a numpy, pandas or scipy type, or ``None``."""
    np = sys.modules.get("numpy")
    if np is not None:
        if issubclass(t, np.ndarray):
            return _h_ndarray
        if issubclass(t, np.generic):
            return _h_npscalar
    pd = sys.modules.get("pandas")
    if pd is not None:
        if issubclass(t, pd.DataFrame):
            return _h_frame
        if issubclass(t, pd.Series):
            return _h_series
        if issubclass(t, pd.Index):
            return _h_index
    sp = sys.modules.get("scipy.sparse")
    if sp is not None and issubclass(t, (sp.spmatrix, getattr(sp, "sparray", sp.spmatrix))):
        return _h_sparse
    return None


def is_estimator(t: type) -> bool:
    """A scikit-learn estimator (fingerprinted by its parameters and fitted attributes)."""
    base = sys.modules.get("sklearn.base")
    return base is not None and issubclass(t, base.BaseEstimator)

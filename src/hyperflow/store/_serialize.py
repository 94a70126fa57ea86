"""Turning values into bytes and back, choosing a safe, fast format per type.

=============  ============================================================
format         used for
=============  ============================================================
``bytes``      ``bytes`` / ``bytearray``, stored as is
``json``       JSON values that round-trip exactly (str, numbers, lists, dicts)
``npy``        numpy arrays without Python objects (``allow_pickle=False``)
``parquet``    pandas DataFrames (string column names) where pyarrow is installed
               (the ``parquet`` extra); without it they are pickled, exactly
``skops``      scikit-learn estimators, with ``skops`` installed (``hyperflow[governance]``)
               and when every type in them is on skops' trusted allow-list or is a
               class of the project's own modules
``joblib``     other scikit-learn objects (and without skops)
``pickle``     anything else (cloudpickle, so lambdas and closures work)
=============  ============================================================

Pickle-based formats (:data:`PICKLE_FORMATS`) run code when loaded; the artifact
store verifies the sha256 of the bytes before :func:`deserialize` is ever called,
and the registry loads them only where the user opted in (``allow_pickle``).
``skops`` loads only types on its allow-list and the project's own classes: a forged
``skops`` blob naming any other type is refused before anything is built.

The format is part of the stored (and so of the hashed) bytes: :func:`serialize`
prefixes the payload with ``b"\\x00hyperflow:<format>\\n"``, and
:func:`deserialize` refuses bytes whose tag names another format. So a blob
written as ``bytes`` or ``json`` can never be loaded as ``pickle``, even when a
database row claims that format: changing the tag changes the sha256, and the
blob no longer matches its digest. Blobs written before the tag existed (no
tag; no format produces bytes starting with ``\\x00``) still load with the
format their record names, so their record is trusted as before: re-log them
to give them a tag (see SECURITY.md).
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from hyperflow._errors import IntegrityError, StoreError

__all__ = [
    "FORMATS",
    "PICKLE_FORMATS",
    "deserialize",
    "format_tag",
    "has_pyarrow",
    "serialize",
    "type_name",
]

FORMATS = ("bytes", "json", "npy", "parquet", "skops", "joblib", "pickle")
#: Formats whose loading may run arbitrary code (opt-in for registered models).
PICKLE_FORMATS = ("joblib", "pickle")
_TAG = b"\x00hyperflow:"
_TAG_MAX = len(_TAG) + max(len(f) for f in FORMATS) + 1


def format_tag(data: bytes | memoryview) -> str | None:
    """The format named in the tag that starts ``data``, or ``None`` for untagged (older) bytes.

    Example:
        >>> from hyperflow.store._serialize import format_tag, serialize
        >>> format_tag(serialize(b"raw")[0]), format_tag(b"raw")
        ('bytes', None)
    """
    head = bytes(data[:_TAG_MAX])
    if not head.startswith(_TAG):
        return None
    end = head.find(b"\n", len(_TAG))
    return head[len(_TAG) : end].decode("ascii", "replace") if end > 0 else "?"


def _tagged(payload: bytes, fmt: str) -> tuple[bytes, str]:
    return b"".join((_TAG, fmt.encode(), b"\n", payload)), fmt


def type_name(obj: Any) -> str:
    """``module.QualName`` of ``obj``'s type."""
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def _json_exact(obj: Any) -> bytes | None:
    try:
        text = json.dumps(obj, allow_nan=True, sort_keys=False)
    except (TypeError, ValueError):
        return None
    back = json.loads(text)
    if back != obj or not _same_types(back, obj):
        return None
    return text.encode()


def _same_types(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return all(_same_types(x, y) for x, y in zip(a, b, strict=True))
    return True


def has_pyarrow() -> bool:
    """True when pyarrow imports (the ``parquet`` extra): DataFrames are stored as Parquet."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def serialize(obj: Any) -> tuple[bytes, str]:
    """Encode ``obj`` and name the format used; the bytes start with the format's tag.

    Example:
        >>> from hyperflow.store import serialize, deserialize
        >>> data, fmt = serialize({"a": [1, 2.5]})
        >>> fmt, data, deserialize(data, fmt)
        ('json', b'\\x00hyperflow:json\\n{"a": [1, 2.5]}', {'a': [1, 2.5]})
    """
    payload, fmt = _encode(obj)
    return _tagged(payload, fmt)


def _encode(obj: Any) -> tuple[bytes, str]:
    if isinstance(obj, bytes | bytearray):
        return bytes(obj), "bytes"
    mod = type(obj).__module__.split(".")[0]
    if mod == "numpy":
        import numpy as np

        if isinstance(obj, np.ndarray) and not obj.dtype.hasobject:
            buf = io.BytesIO()
            np.save(buf, obj, allow_pickle=False)
            return buf.getvalue(), "npy"
    if mod == "pandas":
        import pandas as pd

        parquet = has_pyarrow()  # else pickled: exact too
        frame = isinstance(obj, pd.DataFrame)
        if parquet and frame and all(isinstance(c, str) for c in obj.columns):
            buf = io.BytesIO()
            try:
                obj.to_parquet(buf)
            except Exception:  # exotic dtypes: fall through to pickle
                pass
            else:
                return buf.getvalue(), "parquet"
    if isinstance(obj, str | int | float | bool | list | dict) or obj is None:
        data = _json_exact(obj)
        if data is not None:
            return data, "json"
    if mod == "sklearn":
        data = _skops(obj)
        if data is not None:
            return data, "skops"
        import joblib

        buf = io.BytesIO()
        joblib.dump(obj, buf)
        return buf.getvalue(), "joblib"
    import cloudpickle

    try:
        return cloudpickle.dumps(obj, protocol=5), "pickle"
    except Exception as exc:
        raise StoreError(
            f"cannot serialize a {type_name(obj)} as an artifact: {exc}; store a picklable "
            "value (or its state) instead"
        ) from exc


def _skops(obj: Any) -> bytes | None:
    """``obj`` in skops' format when skops is installed and trusts every type in it."""
    try:
        import skops.io as sio
    except ImportError:
        return None
    try:
        data: bytes = sio.dumps(obj)
        untrusted = sio.get_untrusted_types(data=data)
    except Exception:  # a type skops cannot persist: joblib instead
        return None
    return None if _outside_project(untrusted) else data


#: scikit-learn's own fitted-state classes that skops rebuilds from arrays but leaves off
#: its default allow-list: the trees of every tree ensemble, histogram-GBM predictors,
#: neighbour trees with their distance metrics, and MLP optimizers. Classes only (skops
#: builds them with ``__new__`` + ``__setstate__``); no function is ever trusted.
SKLEARN_STATE_TYPES = re.compile(
    r"sklearn\.(tree\._tree\.Tree"
    r"|ensemble\._hist_gradient_boosting\.predictor\.TreePredictor"
    r"|neighbors\._(kd|ball)_tree\.(KDTree|BallTree)"
    r"|metrics\._dist_metrics\.[A-Za-z]+Distance(32|64)?"
    r"|neural_network\._stochastic_optimizers\.(Adam|SGD)Optimizer)"
)


def _outside_project(types: list[str]) -> list[str]:
    """The type names of ``types`` neither from the project's trusted modules nor
    scikit-learn's fitted-state classes (``SKLEARN_STATE_TYPES``).

    The project's own classes (e.g. a featurizer inside a scikit-learn pipeline) are
    trusted like its predict pipeline is: their code is imported from the project
    either way (see ``hyperflow._refs.trusted_modules``).
    """
    if not types:
        return []
    from hyperflow._refs import trusted_modules

    allowed = tuple(f"{name}." for name in trusted_modules())
    return [
        t for t in types if not (t.startswith(allowed) or SKLEARN_STATE_TYPES.fullmatch(t))
    ]


def deserialize(data: bytes, fmt: str) -> Any:
    """Decode bytes written by :func:`serialize` in format ``fmt`` (verify their hash first).

    Raises ``IntegrityError`` when the bytes are tagged with another format
    (e.g. ``bytes`` presented as ``pickle``): nothing is decoded then.
    """
    if fmt not in FORMATS:
        raise StoreError(f"unknown artifact format {fmt!r}; expected one of {', '.join(FORMATS)}")
    tag = format_tag(data)
    if tag is not None and tag != fmt:
        raise IntegrityError(
            f"artifact bytes were written as {tag!r} but their record says {fmt!r}; refused, "
            "nothing was loaded: the record was changed (check who can write the metadata "
            "database) — log the value again"
        )
    payload = memoryview(data)[len(_TAG) + len(fmt) + 1 :] if tag is not None else data
    return _decode(payload, fmt)


def _decode(data: bytes | memoryview, fmt: str) -> Any:
    if fmt == "bytes":
        return bytes(data)
    if fmt == "json":
        return json.loads(bytes(data))
    if fmt == "npy":
        import numpy as np

        return np.load(io.BytesIO(data), allow_pickle=False)
    if fmt == "parquet":
        import pandas as pd

        if not has_pyarrow():
            raise StoreError(
                "this artifact is a Parquet table, and reading it needs pyarrow: "
                "pip install 'hyperflow[parquet]'"
            )
        return pd.read_parquet(io.BytesIO(data))
    if fmt == "skops":
        return _load_skops(bytes(data))
    if fmt == "joblib":
        import joblib

        return joblib.load(io.BytesIO(data))
    import cloudpickle

    return cloudpickle.loads(data)


def _load_skops(data: bytes) -> Any:
    try:
        import skops.io as sio
    except ImportError as exc:
        raise StoreError(
            "this artifact is stored with skops; install it: pip install 'hyperflow[governance]'"
        ) from exc
    untrusted = sio.get_untrusted_types(data=data)
    outside = _outside_project(untrusted)
    if outside:
        raise IntegrityError(
            f"the skops artifact names types outside skops' trusted allow-list and outside "
            f"this project's modules ({outside}); refused, nothing was built: hyperflow "
            "stores only such types as skops, so the bytes were not written by hyperflow for "
            "this project (run from the project folder, or name the module in "
            "HYPERFLOW_TRUSTED_MODULES if you trust it)"
        )
    return sio.loads(data, trusted=untrusted)

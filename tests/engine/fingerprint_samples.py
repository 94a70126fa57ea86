"""Values whose fingerprints must be equal in every process (imported by a subprocess too)."""

from __future__ import annotations

import dataclasses
import decimal
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression


@dataclasses.dataclass
class Point:
    x: float
    tags: list[str]


class Settings(pydantic.BaseModel):
    name: str
    sizes: list[int]


class Versioned:
    """Fingerprinted by what ``__hyperflow_fingerprint__`` returns."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.cache = object()  # would break a generic fingerprint; ignored here

    def __hyperflow_fingerprint__(self) -> str:
        return self.tag


def nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"child": [value]}
    return value


def fitted(seed: int = 0) -> LogisticRegression:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(int)
    return LogisticRegression().fit(x, y)


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "f": np.linspace(0, 1, 5),
            "i": np.arange(5, dtype=np.int32),
            "s": ["a", "b", "c", "d", "e"],
            "c": pd.Categorical(["x", "y", "x", "y", "x"]),
            "t": pd.date_range("2024-01-01", periods=5, tz="UTC"),
        },
        index=pd.Index([10, 11, 12, 13, 14], name="row"),
    )


def samples() -> dict[str, Any]:
    grid = np.arange(24, dtype=np.float64).reshape(4, 6)
    return {
        "none": None,
        "bool": True,
        "int": 2**100,
        "float": 1.5,
        "str": "héllo",
        "bytes": b"\x00\x01",
        "list": [1, "a", 2.5],
        "tuple": (1, (2, 3)),
        "dict": {"b": 1, "a": [2, 3], "c": {"z": None}},
        "dict_mixed_keys": {3: "x", "k": (1, 2), (1, 2): 1.0},
        "set": {"alpha", "beta", "gamma", "delta"},
        "frozenset": frozenset({("a", 1), ("b", 2)}),
        "array": grid,
        "array_view": grid[:, ::2],
        "array_dt": np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[D]"),
        "array_obj": np.array(["a", 1, None], dtype=object),
        "np_scalar": np.float32(2.5),
        "series": pd.Series([1.0, 2.0, None], index=["a", "b", "c"], name="s"),
        "frame": frame(),
        "multiindex": frame().set_index(["s", "c"]),
        "sparse": sp.csr_matrix(grid * (grid > 10)),
        "dataclass": Point(1.0, ["a", "b"]),
        "pydantic": Settings(name="n", sizes=[1, 2]),
        "estimator": fitted(),
        "custom": Versioned("v1"),
        "fallback": decimal.Decimal("1.10"),
        "deep": nested(12, "leaf"),
    }


def main() -> None:
    """Print every sample's fingerprint as JSON (run in a subprocess by the tests)."""
    import json

    from hyperflow.engine import fingerprint

    print(json.dumps({k: fingerprint(v) for k, v in samples().items()}))

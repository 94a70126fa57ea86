"""Fingerprints: equal content gives equal digests, in any process; any change shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import hyperflow as hf
from hyperflow.engine import fingerprint
from tests.engine.fingerprint_samples import (
    Point,
    Settings,
    Versioned,
    fitted,
    frame,
    nested,
    samples,
)

HERE = Path(__file__).parent
SRC = HERE.parents[1] / "src"


@pytest.mark.slow  # a subprocess importing numpy, pandas, scipy, sklearn, pydantic
def test_fingerprints_are_equal_in_a_process_with_another_hash_seed() -> None:
    mine = {k: fingerprint(v) for k, v in samples().items()}
    env = dict(os.environ, PYTHONHASHSEED="12345", PYTHONPATH=f"{SRC}{os.pathsep}{HERE.parents[1]}")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tests.engine import fingerprint_samples; fingerprint_samples.main()",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(out.stdout)
    assert theirs == mine
    assert len(set(mine.values())) == len(mine)  # no two samples collide


def test_fingerprint_is_hex_and_stable_for_equal_values() -> None:
    fp = fingerprint(samples())
    assert len(fp) == 32 and int(fp, 16) >= 0
    assert fingerprint(samples()) == fp


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1, 1.0),
        (1, True),
        ("1", b"1"),
        ([1, 2], (1, 2)),
        ([[1], 2], [1, [2]]),
        ("ab", ["a", "b"]),
        (None, "None"),
        (0.0, -0.0),
        ({"a": 1}, {"a": 1.0}),
        ({1, 2}, [1, 2]),
    ],
)
def test_values_of_different_type_or_shape_differ(a: object, b: object) -> None:
    assert fingerprint(a) != fingerprint(b)


def test_dict_and_set_ignore_insertion_order() -> None:
    keys = [f"k{i}" for i in range(50)]
    d1 = {k: i for i, k in enumerate(keys)}
    d2 = {k: d1[k] for k in reversed(keys)}
    assert fingerprint(d1) == fingerprint(d2)
    assert fingerprint({3: "x", "k": 1}) == fingerprint({"k": 1, 3: "x"})
    assert fingerprint(set(keys)) == fingerprint(set(reversed(keys)))
    assert fingerprint(d1) != fingerprint({**d1, "k0": -1})


def test_difference_ten_levels_deep_is_seen() -> None:
    assert fingerprint(nested(10, [1, 2, 3])) != fingerprint(nested(10, [1, 2, 4]))
    assert fingerprint(nested(10, [1, 2, 3])) == fingerprint(nested(10, [1, 2, 3]))


def test_very_deep_and_cyclic_values_do_not_overflow() -> None:
    deep: list[object] = []
    for _ in range(20_000):
        deep = [deep]
    assert len(fingerprint(deep)) == 32
    loop: list[object] = [1]
    loop.append(loop)
    assert fingerprint(loop) != fingerprint([1, []])


def test_numpy_dtype_shape_and_bytes_all_count() -> None:
    a = np.arange(12, dtype=np.float64)
    assert fingerprint(a) == fingerprint(a.copy())
    assert fingerprint(a) != fingerprint(a.astype(np.float32))
    assert fingerprint(a) != fingerprint(a.reshape(3, 4))
    b = a.copy()
    b[7] += 1e-12
    assert fingerprint(a) != fingerprint(b)


def test_non_contiguous_view_equals_its_contiguous_copy() -> None:
    grid = np.arange(100.0).reshape(10, 10)
    view = grid[::2, 1::3]
    assert not view.flags.c_contiguous
    assert fingerprint(view) == fingerprint(np.ascontiguousarray(view))
    assert fingerprint(grid.T) == fingerprint(np.ascontiguousarray(grid.T))
    assert fingerprint(grid.T) != fingerprint(grid)


def test_pandas_values_dtypes_index_and_names_all_count() -> None:
    df = frame()
    assert fingerprint(df) == fingerprint(frame())
    changed = df.copy()
    changed.loc[12, "s"] = "z"
    renamed = df.rename(columns={"f": "g"})
    reindexed = df.set_axis([0, 1, 2, 3, 4], axis=0)
    recast = df.astype({"i": np.int64})
    for other in (changed, renamed, reindexed, recast):
        assert fingerprint(other) != fingerprint(df)
    s = pd.Series([1.0, 2.0], name="a")
    assert fingerprint(s) != fingerprint(s.rename("b"))
    assert fingerprint(s) != fingerprint(pd.Series([1.0, 2.0], name="a", index=[1, 2]))
    unhashable = pd.Series([[1], [2]])
    assert fingerprint(unhashable) != fingerprint(pd.Series([[1], [3]]))


def test_sparse_matrices_are_canonical() -> None:
    dense = np.array([[0, 1.0, 0], [2.0, 0, 3.0]])
    assert fingerprint(sp.csr_matrix(dense)) == fingerprint(sp.coo_matrix(dense))
    other = dense.copy()
    other[1, 2] = 4.0
    assert fingerprint(sp.csr_matrix(dense)) != fingerprint(sp.csr_matrix(other))
    assert fingerprint(sp.csr_matrix(dense)) != fingerprint(sp.csr_matrix(dense.T))


def test_dataclass_pydantic_and_custom_objects() -> None:
    assert fingerprint(Point(1.0, ["a"])) == fingerprint(Point(1.0, ["a"]))
    assert fingerprint(Point(1.0, ["a"])) != fingerprint(Point(1.0, ["b"]))
    assert fingerprint(Settings(name="a", sizes=[1])) != fingerprint(Settings(name="a", sizes=[2]))
    assert fingerprint(Versioned("v1")) == fingerprint(Versioned("v1"))
    assert fingerprint(Versioned("v1")) != fingerprint(Versioned("v2"))


def test_fitted_estimators_differ_by_fitted_state() -> None:
    assert fingerprint(fitted(0)) == fingerprint(fitted(0))
    assert fingerprint(fitted(0)) != fingerprint(fitted(1))


def test_functions_are_fingerprinted_by_code() -> None:
    def f(x: int) -> int:
        return x + 1

    def g(x: int) -> int:
        return x + 2

    assert fingerprint(f) != fingerprint(g)
    assert fingerprint([f]) == fingerprint([f])


def test_value_without_layout_or_pickle_raises_a_clear_error() -> None:
    gen = (i for i in range(3))
    with pytest.raises(hf.FingerprintError, match=r"generator.*__hyperflow_fingerprint__"):
        fingerprint(gen)


@pytest.mark.parametrize("dtype", ["str", object])
def test_string_columns_ignore_chunks_and_slices_but_not_content(dtype: object) -> None:
    def s(values: list[str | None]) -> pd.Series:
        return pd.Series(values, dtype=dtype)  # type: ignore[call-overload]

    whole = s(["x", "yy", None, "z"])
    sliced = s(["w", "x", "yy", None, "z"]).iloc[1:].reset_index(drop=True)
    chunked = pd.concat([s(["x", "yy"]), s([None, "z"])], ignore_index=True)
    assert fingerprint(whole) == fingerprint(sliced) == fingerprint(chunked)
    assert fingerprint(s(["ab", "c"])) != fingerprint(s(["a", "bc"]))
    assert fingerprint(s(["a", None])) != fingerprint(s(["a", ""]))

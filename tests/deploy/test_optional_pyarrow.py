"""pyarrow is optional (the ``parquet`` extra): DataFrames fall back to an exact pickle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from hyperflow.store import deserialize, serialize
from hyperflow.store._serialize import has_pyarrow

# object strings: what pandas gives where pyarrow is not installed
FRAME = pd.DataFrame(
    {"city": pd.Series(["Seattle", "Oslo", None], dtype=object), "rain": [1.5, float("nan"), 0.0]}
)


def test_dataframes_are_parquet_when_pyarrow_is_installed() -> None:
    data, fmt = serialize(FRAME)
    assert has_pyarrow() and fmt == "parquet"
    back = deserialize(data, fmt)
    assert list(back["city"][:2]) == ["Seattle", "Oslo"]
    pd.testing.assert_series_equal(back["rain"], FRAME["rain"])


_WITHOUT = """
import sys
sys.modules["pyarrow"] = None  # as if pyarrow were not installed: `import pyarrow` fails
import pandas as pd
import hyperflow as hf
from hyperflow.store import deserialize, serialize
from hyperflow.store._serialize import has_pyarrow
frame = pd.DataFrame({"city": ["Seattle", "Oslo", None], "rain": [1.5, float("nan"), 0.0]})
data, fmt = serialize(frame)
back = deserialize(data, fmt)
pd.testing.assert_frame_equal(back, frame)
assert list(back.dtypes) == list(frame.dtypes)
try:
    deserialize(open(sys.argv[1], "rb").read(), "parquet")
except hf.StoreError as exc:
    print(has_pyarrow(), fmt, exc)
"""


def test_without_pyarrow_dataframes_round_trip_exactly_and_parquet_names_the_extra(
    tmp_path: Path,
) -> None:
    blob = tmp_path / "table.parquet"
    blob.write_bytes(serialize(FRAME)[0])
    out = subprocess.run(
        [sys.executable, "-c", _WITHOUT, str(blob)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("False pickle ")
    assert "needs pyarrow: pip install 'hyperflow[parquet]'" in out.stdout


def test_core_dependencies_leave_pyarrow_to_the_parquet_extra() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("pyarrow")]
    assert project["optional-dependencies"]["parquet"] == ["pyarrow>=14"]

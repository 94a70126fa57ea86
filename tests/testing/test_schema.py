"""Data validation on pandera: inferred schemas, lazy validation, node-level checks."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

import hyperflow as hf


@pytest.fixture
def reference(seattle: pd.DataFrame) -> pd.DataFrame:
    return seattle.copy()


def test_inferred_schema_is_pandera_with_ranges_categories_nullability(
    reference: pd.DataFrame,
) -> None:
    schema = hf.testing.infer_schema(reference, margin=0.1)
    assert isinstance(schema, pa.DataFrameSchema)
    assert set(schema.columns) == set(reference.columns)
    (rain,) = schema.columns["precipitation"].checks
    assert rain.statistics["min_value"] == 0  # non-negative stays non-negative
    assert rain.statistics["max_value"] > reference["precipitation"].max()
    (rng,) = schema.columns["temp_min"].checks
    lo, hi = reference["temp_min"].min(), reference["temp_min"].max()
    span = hi - lo
    assert rng.statistics["min_value"] <= lo - 0.1 * span + 1e-9
    assert lo - 0.11 * span <= rng.statistics["min_value"]
    assert hi + 0.1 * span <= rng.statistics["max_value"] <= hi + 0.11 * span
    (cats,) = schema.columns["weather"].checks
    assert sorted(cats.statistics["allowed_values"]) == sorted(reference["weather"].unique())
    assert schema.columns["date"].checks == []
    assert not any(c.nullable for c in schema.columns.values())
    assert schema.validate(reference) is not None  # the reference itself is valid
    assert hf.testing.validate(reference, schema).empty


def test_validate_returns_every_violation_at_once(reference: pd.DataFrame) -> None:
    schema = hf.testing.infer_schema(reference)
    bad = reference.head(6).copy()
    bad.loc[1, "precipitation"] = -40.0
    bad.loc[4, "precipitation"] = 500.0
    bad.loc[2, "weather"] = "hail"
    bad.loc[3, "wind"] = None
    failures = hf.testing.validate(bad, schema)
    got = {(r.column, r.failure_case, r.index) for r in failures.itertuples()}
    assert ("precipitation", -40.0, 1) in got and ("precipitation", 500.0, 4) in got
    assert ("weather", "hail", 2) in got
    assert any(c == "wind" and i == 3 for c, _, i in got)
    assert list(failures.columns) == ["column", "check", "failure_case", "index", "schema_context"]


def test_missing_column_and_nullable_columns() -> None:
    ref = pd.DataFrame({"x": [1.0, None, 3.0], "y": [1, 2, 3]})
    schema = hf.testing.infer_schema(ref)
    assert schema.columns["x"].nullable and not schema.columns["y"].nullable
    failures = hf.testing.validate(pd.DataFrame({"x": [float("nan")]}), schema)
    assert failures["check"].tolist() == ["column_in_dataframe"]
    assert failures["failure_case"].tolist() == ["y"]


def test_text_columns_get_length_and_encoding_checks() -> None:
    ref = pd.DataFrame({"note": [f"note number {i}" for i in range(30)]})  # up to 14 chars
    schema = hf.testing.infer_schema(ref, max_categories=5)
    checks = {c.name for c in schema.columns["note"].checks}
    assert checks == {"str_length", "clean_text"}
    bad = pd.DataFrame({"note": ["x" * 17, "ok", "caf\ufffd au lait", "tab\x00null", "x" * 16]})
    failures = hf.testing.validate(bad, schema)
    got = set(zip(failures["check"], failures["index"], strict=True))
    assert got == {
        ("str_length(0, 16)", 0),
        ("text must encode as UTF-8 without U+FFFD or control characters", 2),
        ("text must encode as UTF-8 without U+FFFD or control characters", 3),
    }


def test_infer_schema_misuse() -> None:
    with pytest.raises(hf.TestingError, match="non-empty reference DataFrame"):
        hf.testing.infer_schema(pd.DataFrame())
    with pytest.raises(hf.TestingError, match="takes a DataFrame"):
        hf.testing.validate([1, 2], hf.testing.infer_schema(pd.DataFrame({"x": [1]})))


def test_schema_as_node_check_names_node_column_and_values(reference: pd.DataFrame) -> None:
    schema = hf.testing.infer_schema(reference[["precipitation", "weather"]])

    @hf.node(check=schema)
    def clean(raw: pd.DataFrame) -> pd.DataFrame:
        return raw[["precipitation", "weather"]]

    def count(clean: pd.DataFrame) -> int:
        return len(clean)

    pipe = hf.Pipeline([clean, count], name="ingest")
    assert pipe.run(inputs={"raw": reference.head(20)}, track=False)["count"] == 20
    bad = reference.head(5).copy()
    bad.loc[2, "precipitation"] = 999.0
    bad.loc[3, "weather"] = "hail"
    with pytest.raises(hf.NodeCheckError) as info:
        pipe.run(inputs={"raw": bad}, track=False)
    err = info.value
    assert err.node == "clean"
    message = str(err)
    assert message.startswith("output of node 'clean' failed its check:")
    assert "column 'precipitation' failed in_range(" in message and "999.0" in message
    assert "column 'weather' failed isin(" in message and "'hail'" in message
    assert "rows [2]" in message and "rows [3]" in message

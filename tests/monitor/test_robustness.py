"""NaNs, infinities, constant columns, empty windows, mismatched columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

import hyperflow as hf


def _ref(n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["x", "y"], n)}
    )


def test_nan_and_inf_rates_are_reported_and_monitored() -> None:
    ref = _ref()
    cur = _ref().sample(frac=1.0, random_state=1).reset_index(drop=True)
    cur.loc[:99, "a"] = np.nan  # 20 % missing
    cur.loc[100:124, "a"] = np.inf  # 5 % infinite
    cur.loc[:4, "c"] = None
    rep = hf.monitor.drift(ref, cur)
    a = rep.columns["a"]
    assert a.nan_rate == 0.2 and a.inf_rate == 0.05 and a.reference_nan_rate == 0.0
    assert a.missing_rate_drifted
    assert a.n_current == 375 and a.status == "ok"  # the test ran on the finite values
    assert rep.columns["c"].nan_rate == 0.01 and not rep.columns["c"].missing_rate_drifted
    assert not rep.columns["b"].missing_rate_drifted and rep.columns["b"].nan_rate == 0.0
    assert "missing-value rate changed" in rep.to_html()


def test_constant_columns_get_a_status_not_an_exception() -> None:
    ref = _ref().assign(k=1.0, s="same")
    same = hf.monitor.drift(ref, ref, method={"k": "wasserstein"})
    assert same.columns["k"].status == "constant" and not same.columns["k"].drifted
    assert same.columns["s"].status == "constant" and not same.columns["s"].drifted
    moved = hf.monitor.drift(ref, ref.assign(k=2.0, s="other"))
    assert moved.columns["k"].drifted and moved.columns["k"].status == "constant"
    assert "reference is constant" in moved.columns["k"].reason
    assert moved.columns["s"].drifted  # an unseen category replaced the only one


def test_empty_window_and_all_nan_column() -> None:
    ref = _ref()
    empty = hf.monitor.drift(ref, ref.iloc[:0])
    assert {c.status for c in empty.columns.values()} == {"empty"}
    assert empty.share_drifted == 0.0 and not empty.drifted and empty.n_current == 0
    all_nan = hf.monitor.drift(ref, ref.assign(a=np.nan))
    assert all_nan.columns["a"].status == "empty" and all_nan.columns["a"].nan_rate == 1.0
    assert all_nan.columns["a"].p_value is None and all_nan.columns["b"].status == "ok"
    embed = {"e": np.random.default_rng(0).normal(size=(50, 3))}
    assert hf.monitor.drift(embed, {"e": np.empty((0, 3))}).columns["e"].status == "empty"


def test_mismatched_columns_are_reported_by_name() -> None:
    ref = _ref()
    cur = ref.drop(columns=["b"]).assign(new=1.0)
    rep = hf.monitor.drift(ref, cur)
    assert rep.missing_columns == ["b"] and rep.extra_columns == ["new"]
    assert rep.columns["b"].status == "missing_in_current"
    assert rep.columns["new"].status == "missing_in_reference"
    assert "missing in current: b" in rep.summary()
    assert "not in reference: new" in rep.summary()
    assert {c.name for c in rep.tested} == {"a", "c"}


def test_type_change_is_a_status() -> None:
    ref = _ref()
    rep = hf.monitor.drift(ref, ref.assign(a="text"))
    assert rep.columns["a"].status == "type_mismatch"
    assert next(iter(rep.columns)) == "a"  # most severe first

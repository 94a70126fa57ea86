"""DriftDetector: test choice, corrections, verdict, embeddings, roles, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hyperflow as hf


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "temp": rng.normal(15, 5, n),
            "wind": rng.gamma(2.0, 2.0, n),
            "weather": rng.choice(["sun", "rain", "fog"], n, p=[0.5, 0.4, 0.1]),
        }
    )


def test_auto_picks_by_type_and_size_and_says_so() -> None:
    small = hf.monitor.drift(_frame(500), _frame(500, 1))
    assert small.columns["temp"].test == "ks"
    assert small.columns["weather"].test == "chi2"
    assert "auto" in small.columns["temp"].reason and "ks" in small.columns["temp"].reason
    big = hf.monitor.drift(_frame(5000), _frame(5000, 1))
    assert big.columns["temp"].test == "wasserstein"
    assert big.columns["weather"].test == "jensenshannon"
    assert "5000 reference values > 1000" in big.columns["temp"].reason
    assert big.columns["temp"].p_value is None and big.columns["temp"].threshold == 0.1


@pytest.mark.parametrize("method", ["ks", "wasserstein", "psi"])
def test_every_numeric_method_detects_a_shift(method: str) -> None:
    ref, cur = _frame(3000), _frame(3000, 1)
    det = hf.monitor.DriftDetector(method={"temp": method}).fit(ref)
    assert not det.score(cur).columns["temp"].drifted
    shifted = det.score(cur.assign(temp=cur.temp + 4))
    assert shifted.columns["temp"].drifted
    assert shifted.columns["temp"].test == method


@pytest.mark.parametrize("method", ["chi2", "psi", "jensenshannon"])
def test_every_categorical_method_detects_a_shift(method: str) -> None:
    ref, cur = _frame(3000), _frame(3000, 1)
    det = hf.monitor.DriftDetector(method={"weather": method}).fit(ref)
    assert not det.score(cur).columns["weather"].drifted
    swapped = cur.assign(weather=np.where(cur.weather == "sun", "fog", cur.weather))
    assert det.score(swapped).columns["weather"].drifted


def test_wrong_method_for_kind_names_the_choices() -> None:
    with pytest.raises(hf.MonitorError, match=r"'chi2' does not apply to numeric column 'temp'"):
        hf.monitor.DriftDetector(method={"temp": "chi2"}).fit(_frame(50))
    with pytest.raises(hf.MonitorError, match="correction must be one of"):
        hf.monitor.DriftDetector(correction="holm").fit(_frame(50))
    with pytest.raises(hf.MonitorError, match="not fitted"):
        hf.monitor.DriftDetector().score(_frame(50))


def test_correction_across_columns_changes_the_verdict() -> None:
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({f"c{i}": rng.normal(size=400) for i in range(20)})
    cur = pd.DataFrame({f"c{i}": rng.normal(size=400) for i in range(20)})
    cur["c0"] = cur["c0"] + 0.2  # a mild shift: significant alone, not after Bonferroni
    raw = hf.monitor.drift(ref, cur, correction="none").columns["c0"]
    bonf = hf.monitor.drift(ref, cur, correction="bonferroni").columns["c0"]
    bh = hf.monitor.drift(ref, cur, correction="fdr").columns["c0"]
    assert raw.p_value == bonf.p_value == bh.p_value
    assert bonf.p_value_adjusted == pytest.approx(min(1.0, raw.p_value * 20))  # type: ignore[operator]
    assert raw.p_value_adjusted <= bh.p_value_adjusted <= bonf.p_value_adjusted  # type: ignore[operator]
    assert bonf.score == bonf.p_value_adjusted and bonf.threshold == 0.05


def test_dataset_verdict_by_share_of_drifted_columns() -> None:
    ref, cur = _frame(800), _frame(800, 1)
    one = hf.monitor.drift(ref, cur.assign(temp=cur.temp + 5))
    assert one.n_drifted == 1 and one.share_drifted == pytest.approx(1 / 3)
    assert not one.drifted and one.drifted_columns == ["temp"]
    two = hf.monitor.drift(ref, cur.assign(temp=cur.temp + 5, wind=cur.wind * 3))
    assert two.drifted and two.share_drifted == pytest.approx(2 / 3)
    assert hf.monitor.drift(ref, cur.assign(temp=cur.temp + 5), drift_share=0.3).drifted


def test_embeddings_as_vector_column_and_as_2d_array() -> None:
    rng = np.random.default_rng(3)
    ref_vec, cur_vec = rng.normal(size=(300, 16)), rng.normal(size=(300, 16)) + 0.3
    ref = pd.DataFrame({"x": rng.normal(size=300), "text_vec": list(ref_vec)})
    cur = pd.DataFrame({"x": rng.normal(size=300), "text_vec": list(cur_vec)})
    rep = hf.monitor.DriftDetector(embeddings=["text_vec"]).fit(ref).score(cur)
    col = rep.columns["text_vec"]
    assert col.kind == "embedding" and col.test == "mmd" and col.drifted
    assert "median-heuristic" in col.reason
    arrays = hf.monitor.drift({"emb": ref_vec}, {"emb": rng.normal(size=(300, 16))})
    assert arrays.columns["emb"].kind == "embedding" and not arrays.columns["emb"].drifted


def test_random_projection_for_wide_embeddings() -> None:
    rng = np.random.default_rng(4)
    ref, cur = rng.normal(size=(300, 512)), rng.normal(size=(300, 512)) + 0.1
    rep = hf.monitor.drift({"e": ref}, {"e": cur}, projection=32)
    assert "random projection to 32" in rep.columns["e"].reason
    assert rep.columns["e"].drifted


def test_target_and_prediction_drift_use_the_same_detectors() -> None:
    rng = np.random.default_rng(6)
    n = 600
    ref = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "label": rng.choice(["no", "yes"], n, p=[0.8, 0.2]),
            "score": rng.beta(2, 5, n),
        }
    )
    cur = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "label": rng.choice(["no", "yes"], n, p=[0.6, 0.4]),
            "score": rng.beta(3, 4, n),
        }
    )
    rep = hf.monitor.drift(ref, cur, target="label", prediction="score")
    assert rep.role("target")["label"].drifted and rep.columns["label"].test == "chi2"
    assert rep.role("prediction")["score"].drifted and rep.columns["score"].test == "ks"
    assert not rep.role("feature")["x"].drifted
    # A bare Series of labels works the same way.
    series = hf.monitor.drift(ref["label"], cur["label"])
    assert series.columns["label"].statistic == rep.columns["label"].statistic


def test_save_and_load_by_value(tmp_path: Path) -> None:
    ref, cur = _frame(700), _frame(700, 1)
    ref["vec"] = list(np.random.default_rng(0).normal(size=(700, 4)))
    cur["vec"] = list(np.random.default_rng(1).normal(size=(700, 4)) + 0.5)
    det = hf.monitor.DriftDetector(categorical=["weather"], alpha=0.01).fit(ref)
    path = det.save(tmp_path / "det.npz")
    loaded = hf.monitor.DriftDetector.load(path)
    assert loaded.alpha == 0.01
    assert loaded.score(cur).to_dict() == det.score(cur).to_dict()
    np.load(path, allow_pickle=False)  # no pickled objects inside


def test_reference_chunks_must_share_columns() -> None:
    chunks = [_frame(100), _frame(100, 1).drop(columns=["wind"])]
    with pytest.raises(hf.MonitorError, match=r"lacks columns \['wind'\]"):
        hf.monitor.DriftDetector().fit(iter(chunks))

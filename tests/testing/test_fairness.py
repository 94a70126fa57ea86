"""hf.testing.fairness on a real bundled dataset (issue 22, point 2).

Data: scikit-learn's bundled Wisconsin breast-cancer set (569 rows, offline). It has
no demographic column, so the tests construct a documented one: ``size_band`` is
``"large"`` for tumours whose ``mean radius`` is above the median and ``"small"``
otherwise (a group the model's errors plausibly differ on), and ``site`` a
deterministic round-robin label ``A``/``B``/``C`` by row number (a group the model
cannot see, so its metrics should be close). The target is 1 = benign.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import hyperflow as hf

FEATURES = ["mean radius", "mean texture", "mean smoothness", "mean symmetry"]


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    bunch = load_breast_cancer(as_frame=True)
    df = bunch.frame[[*FEATURES, "target"]].copy()
    df["size_band"] = np.where(df["mean radius"] > df["mean radius"].median(), "large", "small")
    df["site"] = np.array(["A", "B", "C"])[np.arange(len(df)) % 3]
    return df


@pytest.fixture(scope="module")
def model(cancer: pd.DataFrame) -> object:
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    return clf.fit(cancer[FEATURES], cancer["target"])


def test_per_group_metrics_difference_ratio_and_intervals(
    cancer: pd.DataFrame, model: object
) -> None:
    predictor = hf.testing.from_sklearn(model)
    result = hf.testing.fairness(
        predictor,
        cancer,
        sensitive=["size_band"],
        features=FEATURES,
        metrics=["accuracy", "selection_rate"],
        n_boot=100,
    )
    by = {g.group["size_band"]: g for g in result.groups}
    assert set(by) == {"large", "small"} and by["large"].n + by["small"].n == len(cancer)
    pred = np.asarray([p["label"] for p in predictor(cancer[FEATURES])])
    for band, g in by.items():  # the per-group numbers are the plain ones on that group
        mask = (cancer["size_band"] == band).to_numpy()
        assert g.values["accuracy"] == pytest.approx((pred[mask] == cancer["target"][mask]).mean())
        assert g.values["selection_rate"] == pytest.approx((pred[mask] == 1).mean())
        lo, hi = g.ci["accuracy"]
        assert lo <= g.values["accuracy"] <= hi
    rates = [by[b].values["selection_rate"] for b in ("large", "small")]
    assert result.difference["selection_rate"] == pytest.approx(max(rates) - min(rates))
    assert result.ratio["selection_rate"] == pytest.approx(min(rates) / max(rates))
    # small tumours are mostly benign, large ones mostly malignant: a large gap
    assert result.max_difference > 0.5
    lo, hi = result.difference_ci["selection_rate"]
    assert lo <= result.difference["selection_rate"] <= hi
    assert not result.passes(max_difference=0.05)
    assert "size_band" in result.summary() and "selection_rate" in result.summary()


def test_a_group_the_model_cannot_see_passes_a_loose_gate(
    cancer: pd.DataFrame, model: object
) -> None:
    result = hf.testing.fairness(
        hf.testing.from_sklearn(model),
        cancer,
        sensitive=["site"],
        features=FEATURES,
        metrics=["accuracy"],
        n_boot=0,
    )
    assert len(result.groups) == 3 and result.difference_ci == {}
    assert result.passes(max_difference=0.15, min_ratio=0.8)


def test_small_groups_are_reported_not_averaged(cancer: pd.DataFrame, model: object) -> None:
    data = cancer.copy()
    data.loc[data.index[:5], "site"] = "D"  # five rows: too few for a stable metric
    result = hf.testing.fairness(
        hf.testing.from_sklearn(model),
        data,
        sensitive=["site", "size_band"],
        features=FEATURES,
        metrics=["accuracy"],
        min_group_size=20,
        n_boot=0,
    )
    small = result.small_groups
    assert small and all(g.group["site"] == "D" and g.n < 20 for g in small)
    assert "reported but not compared" in result.summary() and "site=D" in result.summary()
    big = [g.values["accuracy"] for g in result.groups if not g.small]
    assert result.difference["accuracy"] == pytest.approx(max(big) - min(big))


def test_only_one_comparable_group_gives_nan_and_never_passes(cancer: pd.DataFrame) -> None:
    data = cancer.copy()
    data["site"] = "A"
    data.loc[data.index[:3], "site"] = "B"
    result = hf.testing.fairness(
        lambda d: [1] * len(d), data, sensitive=["site"], features=FEATURES, n_boot=0
    )
    assert math.isnan(result.difference["accuracy"]) and not result.passes(max_difference=1.0)


def test_missing_sensitive_column_is_a_clear_error(cancer: pd.DataFrame) -> None:
    with pytest.raises(
        hf.TestingError, match=r"'size_bnd' is not a column.*did you mean 'size_band'"
    ):
        hf.testing.fairness(lambda d: [1] * len(d), cancer, sensitive=["size_bnd"])
    with pytest.raises(hf.TestingError, match="list of column names"):
        hf.testing.fairness(lambda d: [1] * len(d), cancer, sensitive="site")  # type: ignore[arg-type]


def test_unknown_metric_and_missing_group_values(cancer: pd.DataFrame) -> None:
    with pytest.raises(hf.TestingError, match="did you mean 'accuracy'"):
        hf.testing.fairness(lambda d: [1] * len(d), cancer, sensitive=["site"], metrics=["acuracy"])
    data = cancer.copy()
    data.loc[data.index[0], "site"] = None
    with pytest.raises(hf.TestingError, match="missing values"):
        hf.testing.fairness(lambda d: [1] * len(d), data, sensitive=["site"])


def test_custom_metric_and_json_round_trip(cancer: pd.DataFrame) -> None:
    def error_rate(y_true: object, y_pred: object) -> float:
        return float(np.mean(np.asarray(y_true) != np.asarray(y_pred)))

    result = hf.testing.fairness(
        lambda d: (d["mean radius"] < 14).astype(int).tolist(),
        cancer,
        sensitive=["size_band"],
        features=FEATURES,
        metrics=[error_rate, "recall"],
        n_boot=20,
    )
    assert result.metrics == ["error_rate", "recall"]
    again = hf.testing.FairnessResult.from_json(result.to_json())
    assert again == result

"""The weather example: one suite with all three behaviour kinds, run against a predict
pipeline. It passes for a sensible model and fails, readably, for one trained on shuffled
labels.

Seattle's labels are reliable in 2012 only (later years call most rainy days "fog"), so
models train on 2012 and the suite probes 2013.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

import hyperflow as hf
from hyperflow.testing import perturb

FEATURES = ["precipitation", "temp_max", "temp_min", "wind"]


def fit(train: pd.DataFrame, *, shuffle_labels: bool) -> RandomForestClassifier:
    y = train["weather"]
    if shuffle_labels:
        y = y.sample(frac=1.0, random_state=0).to_numpy()
    model = RandomForestClassifier(n_estimators=60, min_samples_leaf=5, random_state=0)
    return model.fit(train[FEATURES], y)


def features(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[FEATURES].astype(float)


def prediction(features: pd.DataFrame, model: Any) -> list[dict[str, Any]]:
    return hf.testing.from_sklearn(model)(features)


PREDICT = hf.Pipeline([features, prediction], name="predict")


def predictor_for(model: Any) -> Any:
    def predict(rows: pd.DataFrame) -> list[dict[str, Any]]:
        return PREDICT.run(inputs={"rows": rows, "model": model}, track=False)["prediction"]

    return predict


def weather_suite(sample: pd.DataFrame) -> hf.testing.Suite:
    return hf.testing.Suite(
        "weather-behaviour",
        [
            hf.testing.mft(
                cases=[
                    (
                        {"precipitation": 30.0, "temp_max": 10.0, "temp_min": 5.0, "wind": 4.0},
                        "rain",
                    ),
                    (
                        {"precipitation": 20.0, "temp_max": 14.0, "temp_min": 8.0, "wind": 3.0},
                        "rain",
                    ),
                    (
                        {"precipitation": 0.0, "temp_max": 28.0, "temp_min": 15.0, "wind": 2.0},
                        "sun",
                    ),
                ],
                on="label",
                min_pass_rate=1.0,
                name="obvious days",
            ),
            hf.testing.invariance(
                sample,
                perturb.noise("wind", scale=0.05),
                on="label",
                min_pass_rate=0.95,
                name="a breath of wind changes nothing",
            ),
            hf.testing.directional(
                sample,
                perturb.add("precipitation", 10.0),
                on=lambda out: out["proba"]["sun"],
                expect="decrease",
                tolerance=0.02,
                name="more rain, less sun",
            ),
        ],
    )


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    from vega_datasets import data as vega

    df = vega.seattle_weather()
    train = df[df["date"].dt.year == 2012]
    probe = df[df["date"].dt.year == 2013][FEATURES].sample(100, random_state=0)
    return train, probe


def test_sensible_model_passes_all_three_kinds(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, probe = data
    result = hf.testing.assert_suite(
        weather_suite(probe), predictor_for(fit(train, shuffle_labels=False))
    )
    assert [t.kind for t in result.tests] == ["mft", "invariance", "directional"]
    assert result.passed and result.pass_rate > 0.98


def test_model_on_shuffled_labels_fails_readably(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, probe = data
    result = weather_suite(probe).run(predictor_for(fit(train, shuffle_labels=True)))
    assert not result.passed
    failed = {t.name for t in result.tests if not t.passed}
    assert {"obvious days", "more rain, less sun"} <= failed
    summary = result.summary()
    assert summary.startswith("suite 'weather-behaviour' FAILED")
    assert "mft 'obvious days'" in summary and "directional 'more rain, less sun'" in summary
    mft = result["obvious days"].failures[0]
    assert mft.input["precipitation"] >= 20.0 and mft.expected == "rain" and mft.output != "rain"
    wrong_way = result["more rain, less sun"].failures[0]
    assert wrong_way.perturbed_input["precipitation"] == wrong_way.input["precipitation"] + 10.0
    assert wrong_way.perturbed_output > wrong_way.output + 0.02
    report = result.report()
    assert "expected 'rain', got" in report and "increased by" in report
    assert hf.testing.SuiteResult.from_json(result.to_json()) == result

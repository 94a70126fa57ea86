from __future__ import annotations

import pytest
from examples.weather.pipeline import predict, train


def test_space_has_two_feature_and_two_model_variants() -> None:
    assert train.space["featurizer"].domain.options == ("basic", "seasonal")  # type: ignore[attr-defined]
    assert train.space["model"].domain.options == ("logreg", "forest")  # type: ignore[attr-defined]


@pytest.mark.parametrize("feat", ["basic", "seasonal"])
def test_each_variant_beats_a_coin_and_reports_metrics(feat: str) -> None:
    r = train.run(
        config={"featurizer": feat, "model": "logreg"}, outputs=["metrics", "split"], track=False
    )
    m = r["metrics"]
    assert set(m) == {"accuracy", "f1", "latency_ms"}
    # five classes: chance is 0.2; the measurements carry real signal
    assert 0.4 < m["accuracy"] <= 1.0
    assert r["split"].train["date"].max() < r["split"].test["date"].min()  # time-ordered


def test_predict_pipeline_uses_the_trained_model() -> None:
    r = train.run(outputs=["model", "split"], track=False)
    day = (
        r["split"].test.iloc[0][["date", "precipitation", "temp_max", "temp_min", "wind"]].to_dict()
    )
    day["date"] = str(day["date"].date())
    label = predict.run(inputs={"model": r["model"], "day": day}, track=False)["prediction"]
    assert label in {"sun", "rain", "fog", "drizzle", "snow"}


def test_readme_embeds_the_current_weather_picture() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert "](docs/weather.svg)" in (root / "README.md").read_text()
    saved = (root / "docs" / "weather.svg").read_text()
    drawn = train.visualize(config={"featurizer": "seasonal", "model": "logreg"}).svg
    assert saved.split("?>", 1)[-1].strip() == drawn.strip(), (
        "regenerate docs/weather.svg with train.visualize(...).save()"
    )

"""Training data lineage in the card: fingerprints, row counts, date ranges (issue 22, point 1).

The weather example's data (vega_datasets' seattle-weather, 2012-2015, time-ordered) is
read by the ``raw_data`` node and split by date into ``split.train`` (2012-2013) and
``split.test`` (2014-2015).
"""

from __future__ import annotations

import pandas as pd
import pytest
from examples.weather.pipeline import predict, raw_data, train

from hyperflow import registry
from hyperflow.engine import fingerprint
from tests.registry import models


@pytest.mark.slow  # fits the weather model once
def test_register_records_rows_and_dates_of_the_weather_training_data(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    run = train.run(outputs=["model", "metrics"], track=url)
    mv = registry.register("weather", run_id=str(run.run_id), predict=predict, store=url)
    summary = mv.lineage["data_summary"]
    days = raw_data()
    assert summary["raw_data"] == {
        "fingerprint": fingerprint(days), "rows": 1461, "source": "node", "date_column": "date",
        "date_min": "2012-01-01T00:00:00", "date_max": "2015-12-31T00:00:00",
    }
    assert summary["split.train"]["rows"] == 731
    assert summary["split.train"]["date_max"] == "2013-12-31T00:00:00"
    assert summary["split.test"]["date_min"] == "2014-01-01T00:00:00"
    assert "featurizer" not in summary and "model" not in summary  # not tables / the model
    text = registry.card("weather:0.1.0", store=url)
    assert (
        "| split.train | node | 731 | 2012-01-01T00:00:00 to 2013-12-31T00:00:00 (date) | "
        in text
    )
    assert f"| raw_data | node | 1461 | 2012-01-01T00:00:00 to 2015-12-31T00:00:00 (date) | " \
        f"{fingerprint(days)} |" in text


def test_inputs_given_at_register_are_summarized_when_they_match_the_run(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    frame = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0]}, index=pd.date_range("2024-03-01", periods=3, freq="D")
    )
    run = models.frame_train.run(inputs={"rows": frame}, outputs=["model", "metrics"], track=url)
    mv = registry.register(
        "demo", run_id=str(run.run_id), predict=models.predict, store=url,
        train=models.frame_train, inputs={"rows": frame},
    )
    rows = mv.lineage["data_summary"]["rows"]
    assert rows["source"] == "input" and rows["rows"] == 3
    assert (rows["date_column"], rows["date_min"]) == ("(index)", "2024-03-01T00:00:00")
    other = registry.register(
        "demo", run_id=str(run.run_id), predict=models.predict, store=url,
        train=models.frame_train, inputs={"rows": frame.iloc[:2]},
    )
    assert "rows" not in other.lineage["data_summary"]
    assert "input(s) ['rows'] differ from the run's" in registry.card(other.ref, store=url)


def test_training_data_that_cannot_be_read_is_said_in_the_card(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    run = models.frame_train.run(
        inputs={"rows": pd.DataFrame({"x": [1.0]})}, outputs=["model", "metrics"], track=url
    )
    registry.register("demo", run_id=str(run.run_id), predict=models.predict, store=url)
    text = registry.card("demo:0.1.0", store=url)
    assert "Row counts and date ranges were not recorded." in text
    assert "could not recompute the training data" in text  # its input was not given
    assert "'rows'" in text

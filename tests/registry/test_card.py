"""Model cards from what the registry knows, as Markdown and escaped HTML (issue 22, point 1)."""

from __future__ import annotations

import time

import pandas as pd
import pytest

import hyperflow as hf
from hyperflow import registry
from hyperflow.store import MetricPoint, get_store
from tests.registry import models


def _register(store_url: str, **kw: str) -> str:
    run = models.train.run(
        outputs=["model", "metrics"], track=store_url, config={"model.scale": 2.0}
    )
    registry.register("demo", run_id=run.run_id, predict=models.predict, store=store_url, **kw)
    return run.run_id


def test_card_shows_what_the_registry_knows(store_url: str) -> None:
    run_id = _register(
        store_url, intended_use="Rank demo rows for the tutorial.", limitations="Toy data."
    )
    registry.set_alias("demo", "production", "0.1.0", reason="first launch", store=store_url)
    suite = hf.testing.load_suite("tests.testing.suites:registry_suite")
    predictor = registry.load("demo:0.1.0", store=store_url)
    registry.record_suite_result("demo:0.1.0", suite.run(predictor, call="row"), store=store_url)
    rows = pd.DataFrame({"x": [float(i % 10) for i in range(80)], "group": ["a", "b"] * 40})
    rows["target"] = (rows["x"] > 4).astype(int)
    fair = hf.testing.fairness(
        lambda r: int(predictor(r) > 9.0), rows, sensitive=["group"], call="row", n_boot=10
    )
    registry.record_fairness("demo:0.1.0", fair, store=store_url)
    text = registry.card("demo@production", store=store_url)
    assert text.startswith("# Model card: demo:0.1.0\n")
    for expected in (
        "## Intended use\n\nRank demo rows for the tutorial.",
        "## Limitations\n\nToy data.",
        f"| run | {run_id} |",
        "| model.scale | 2 |",  # config
        "| f1 | 0.5 | not recorded |",  # metrics (no interval was logged)
        "| tests.testing.suites:registry_suite | passed | 100.0% |",
        "| accuracy | ",  # fairness per metric
        "| group=a | 40 |",  # fairness per group
        "| production | set |  | 0.1.0 |",  # alias history
        "No monitoring check of this version recorded",
        "## Environment",
        "The training run recorded no input fingerprints.",  # train takes no inputs
    ):
        assert expected in text, expected


def test_card_says_what_is_missing(store_url: str) -> None:
    _register(store_url)
    text = registry.card("demo:0.1.0", store=store_url)
    assert "Not written yet: hf.registry.describe('demo:0.1.0'" in text
    assert "No suite result recorded" in text and "No fairness result recorded" in text
    assert "No alias has pointed at this version." in text


def test_html_card_escapes_every_user_field(store_url: str) -> None:
    _register(
        store_url,
        intended_use='<script>alert("x")</script>',
        limitations="a | b <img src=x onerror=alert(1)>",
    )
    page = registry.card("demo:0.1.0", format="html", store=store_url)
    assert page.startswith("<!DOCTYPE html>") and "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<img" not in page
    md = registry.card("demo:0.1.0", store=store_url)
    assert "<script>" not in md and "<img" not in md
    with pytest.raises(hf.RegistryError, match="format= must be one of"):
        registry.card("demo:0.1.0", format="pdf", store=store_url)  # type: ignore[arg-type]


def test_card_of_an_unknown_version_names_the_known_ones(store_url: str) -> None:
    _register(store_url)
    with pytest.raises(hf.RegistryError, match=r"versions: 0\.1\.0"):
        registry.card("demo:9.9.9", store=store_url)


def test_metrics_show_their_interval_or_the_spread_over_folds(store_url: str) -> None:
    run = models.train.run(outputs=["model", "metrics"], track=store_url)
    extra = {"auc": 0.8, "auc_ci_low": 0.75, "auc_ci_high": 0.85, "f1.std": 0.02,
             "mae": 1.5, "mae_low": 1.2, "mae_high": 1.9, "edge_low": 3.0}
    points = [MetricPoint(k, v, 0, time.time()) for k, v in extra.items()]
    get_store(store_url).log_metrics(str(run.run_id), points)
    registry.register("demo", run_id=str(run.run_id), predict=models.predict, store=store_url)
    text = registry.card("demo:0.1.0", store=store_url)
    assert "| auc | 0.8 | [0.75, 0.85] |" in text
    assert "| mae | 1.5 | [1.2, 1.9] |" in text
    assert "| f1 | 0.25 | ± 0.02 (std across folds) |" in text
    assert "| edge_low | 3 | not recorded |" in text  # a lone bound is a metric of its own
    assert "auc_ci_low |" not in text and "| f1.std |" not in text

"""JSON and HTML reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

import hyperflow as hf
from hyperflow.monitor import ColumnDrift, DriftReport


def _report() -> DriftReport:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame(
        {
            "mild": rng.normal(size=800),
            "strong": rng.normal(size=800),
            "same": rng.normal(size=800),
            "cat": rng.choice(["a", "b", "c"], 800),
        }
    )
    cur = pd.DataFrame(
        {
            "mild": rng.normal(0.3, 1, 800),
            "strong": rng.normal(2, 1, 800),
            "same": rng.normal(size=800),
            "cat": rng.choice(["a", "b", "c", "d"], 800),
        }
    )
    cur.loc[0, "same"] = 123.456789  # a raw value that must never leak into reports
    return hf.monitor.drift(ref, cur)


def test_json_schema_is_stable_and_round_trips(tmp_path: Path) -> None:
    rep = _report()
    text = rep.to_json(tmp_path / "drift.json")
    data = json.loads((tmp_path / "drift.json").read_text())
    assert data == json.loads(text)
    assert data["schema"] == "hyperflow.drift/1"
    assert set(data) >= {
        "drifted",
        "share_drifted",
        "n_drifted",
        "n_tested",
        "alpha",
        "correction",
        "drift_share",
        "n_reference",
        "n_current",
        "missing_columns",
        "extra_columns",
        "columns",
    }
    entry = data["columns"]["strong"]
    assert set(entry) == set(ColumnDrift.__dataclass_fields__)
    assert entry["test"] == "ks" and entry["drifted"] is True and entry["p_value"] < 1e-10
    back = DriftReport.from_json(text)
    assert back.to_dict() == rep.to_dict()
    assert back.drifted == rep.drifted and back.columns["cat"].drifted


def test_columns_are_sorted_by_severity() -> None:
    rep = _report()
    names = list(rep.columns)
    assert names[0] == "strong" and names[-1] == "same"
    drifted = [c.drifted for c in rep.columns.values()]
    assert drifted == sorted(drifted, reverse=True)


def test_html_is_self_contained_with_plots_and_no_raw_rows(tmp_path: Path) -> None:
    rep = _report()
    html = rep.to_html(tmp_path / "drift.html")
    assert (tmp_path / "drift.html").read_text(encoding="utf-8") == html
    assert html.count("<svg") == 4  # one distribution plot per column
    assert "<script" not in html and "http" not in html  # no CDN, nothing fetched
    assert "123.456789" not in html and "123.457" not in html
    assert "123.456789" not in rep.to_json()
    order = [m.group(1) for m in re.finditer(r"<h3>(\w+) ", html)]
    assert order == list(rep.columns)


def test_thousand_column_report_stays_under_5_mb() -> None:
    rng = np.random.default_rng(1)
    ref = pd.DataFrame(rng.normal(size=(300, 1000))).add_prefix("c")
    cur = pd.DataFrame(rng.normal(0.05, 1, size=(300, 1000))).add_prefix("c")
    rep = hf.monitor.drift(ref, cur)
    html = rep.to_html()
    assert len(rep.columns) == 1000 and html.count("<svg") == 1000
    assert len(html.encode()) < 5 * 1024 * 1024
    assert len(rep.to_json().encode()) < 5 * 1024 * 1024

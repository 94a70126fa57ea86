"""The monitoring pages and the model page's loop sections, over records the monitor and
the closed loop store (checks, alerts, traffic, rollouts, gate decisions, events)."""

from __future__ import annotations

import re
from typing import Any

import hyperflow as hf
from tests.ui import project
from tests.ui.loop_seed import add_check
from tests.ui.project import EVIL


def _svg(html: str, chart: str) -> str:
    found = re.search(rf'<figure class="hf-chart" id="chart-{chart}">(.*?)</figure>', html, re.S)
    assert found, f"no {chart} chart"
    return found.group(1)


def test_overview_lists_monitored_models_with_open_alerts(client: Any) -> None:
    page = client.get("/monitoring")
    assert page.status_code == 200
    row = re.search(r'<tr><td><a href="/monitoring/demo">demo</a></td><td>(\d+)</td>.*?</tr>',
                    page.text, re.S)
    assert row and row.group(1) == "12" and "1 open" in row.group(0)


def test_model_page_draws_drift_metric_band_and_coverage(client: Any) -> None:
    page = client.get("/monitoring/demo")
    assert page.status_code == 200
    drift = _svg(page.text, "drift")
    assert drift.count('class="hf-curve"') == 3  # two columns + the dashed threshold
    assert "stroke-dasharray" in drift and "<title>temp</title>" in drift
    metric = _svg(page.text, "metric")
    assert 'class="hf-band"' in metric and "accuracy" in metric
    assert "feedback coverage" in _svg(page.text, "coverage")
    assert 'data-poll="/monitoring/demo/live?target=demo%40production"' in page.text
    assert page.text.count('<tr><td>') >= 10  # recent checks of the target shown


def test_alerts_show_their_cause_and_deliveries(client: Any, seeded: dict[str, str]) -> None:
    page = client.get("/monitoring/demo").text
    open_alert = re.search(r'<article class="hf-alert open".*?</article>', page, re.S)
    assert open_alert, "the open alert is shown"
    body = open_alert.group(0)
    assert "drift.share &gt; 0.3" in body and "critical" in body
    assert f'href="/runs/{seeded["train1"]}"' in body  # the cause: the run that built it
    assert "temp (ks, severity 0.9)" in body and "xxh3:abc123" in body
    assert "delivered via log" in body and "failed via hook" in body
    assert '<article class="hf-alert resolved"' in page


def test_user_strings_are_escaped(client: Any) -> None:
    for path in ("/monitoring/demo", "/monitoring/demo/live", "/models/demo",
                 "/models/demo/loop"):
        html = client.get(path).text
        assert EVIL not in html, path
        assert "&lt;script&gt;" in html, path


def test_targets_switch_and_unknown_ones_are_named(client: Any) -> None:
    page = client.get("/monitoring/demo", params={"target": "demo@candidate"})
    assert page.status_code == 200 and 'aria-current="true">demo@candidate' in page.text
    bad = client.get("/monitoring/demo", params={"target": "demo@prod"})
    assert bad.status_code == 404 and "demo@production" in bad.text
    missing = client.get("/monitoring/dmeo")
    assert missing.status_code == 404 and "did you mean &#39;demo&#39;?" in missing.text


def test_live_fragment_follows_new_checks(client: Any) -> None:
    before = client.get("/monitoring/demo/live")
    assert before.status_code == 200 and 'data-done="false"' in before.text
    assert "<html" not in before.text  # a fragment, not a page
    add_check(None, "demo@production", 11)  # a newer window than the seeded ten
    after = client.get("/monitoring/demo/live").text
    assert re.search(r"<dt>requests</dt><dd>111 ", after)


def test_a_registered_model_without_checks_waits_for_the_first(
    client: Any, seeded: dict[str, str]
) -> None:
    hf.registry.register("quiet", run_id=seeded["train1"], predict=project.predict)
    page = client.get("/monitoring/quiet")
    assert page.status_code == 200 and 'id="no-checks"' in page.text
    assert 'data-poll="/monitoring/quiet/live"' in page.text  # shows the first when it comes
    assert 'id="chart-' not in page.text


def test_model_page_shows_traffic_rollout_gate_and_events(client: Any) -> None:
    page = client.get("/models/demo").text
    assert re.search(r'id="traffic">traffic: <span class="hf-status">0.2.0 10%</span> '
                     r'<span class="hf-status">production 90%</span>', page)
    rollout = re.search(r'<tr data-rollout="\d+">.*?</tr>', page, re.S)
    assert rollout and "running" in rollout.group(0) and "1 of 3 (10%)" in rollout.group(0)
    assert 'data-poll="/models/demo/loop"' in page  # a running rollout refreshes itself
    decisions = re.findall(r'<article class="hf-decision".*?</article>', page, re.S)
    assert len(decisions) == 2 and "rejected" in decisions[0] and "passed" in decisions[1]
    assert "f1 +0.02 over the champion" in decisions[1] and "skipped" in decisions[1]
    kinds = re.findall(r'<tr data-event="\d+">.*?<span class="hf-status">([\w.]+)</span>', page)
    assert kinds == ["rollout.step", "gate", "retrain", "alert"]  # newest first
    fragment = client.get("/models/demo/loop").text
    assert 'data-done="false"' in fragment and "rollouts-table" in fragment

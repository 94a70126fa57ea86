"""The card's drift and alerts section reads the real check/alert history (issue 22, point 1)."""

from __future__ import annotations

from datetime import timedelta

import hyperflow as hf
from hyperflow import registry
from hyperflow.monitor import AlertConfig
from tests.monitor.live_helpers import T0, config, log_traffic, registered

DRIFT = AlertConfig("x-drift", "drift.share >= 0.5", cooldown=0.0, channels=["log"])


def _day(url: str, version: str, day: int, shift: float) -> hf.monitor.Check:
    log_traffic(url, version, start=T0 + timedelta(days=day), n=200, shift=shift, seed=day)
    return hf.monitor.check("m@production", window="1d", until=T0 + timedelta(days=day + 1),
                            store=url, config=config(DRIFT))


def test_card_shows_the_last_check_and_the_alerts_since_deployment(store_url: str) -> None:
    version = registered(store_url)  # registered and set as @production
    text = registry.card(f"m:{version}", store=store_url)
    assert "No monitoring check of this version recorded" in text
    assert "No alert fired." in text
    for day, shift in enumerate([0.0, 1.5, 0.0, 1.5]):  # fires, resolves, fires again
        _day(store_url, version, day, shift)
    text = registry.card("m@production", store=store_url)
    section = text.split("## Drift and alerts")[1].split("## Environment")[0]
    assert "Deployed as @production on " in section
    assert "4 check(s) of this version; the last (m@production, window 2025-01-04" in section
    assert "drift alarm; 1 of 2 column(s) drifted (share 0.5); rule(s) met: x-drift." in section
    assert "| x | " in section and "| group | " not in section  # only drifted columns
    assert "2 alert(s) fired, 1 resolved, 1 open." in section
    assert section.count("| x-drift | warning | ") == 2 and "| open |" in section
    page = registry.card("m@production", format="html", store=store_url)
    assert "<td>x-drift</td>" in page


def test_checks_and_alerts_of_another_version_stay_out_of_the_card(store_url: str) -> None:
    first = registered(store_url)
    _day(store_url, first, 0, 1.5)
    _day(store_url, first, 1, 1.5)
    second = registered(store_url)  # now @production; the first keeps its history
    assert second != first
    text = registry.card(f"m:{second}", store=store_url)
    assert "No monitoring check of this version recorded" in text
    assert "No alert fired." in text
    old = registry.card(f"m:{first}", store=store_url)
    assert "2 check(s) of this version" in old and "1 alert(s) fired, 0 resolved, 1 open." in old

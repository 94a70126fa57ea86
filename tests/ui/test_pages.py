"""The dashboard's pages over a real store (SQLite in the test project), through ASGI."""

from __future__ import annotations

import re
from typing import Any

import pytest

import hyperflow as hf
from tests.ui.conftest import TOKEN
from tests.ui.project import EVIL


def _names(html: str) -> list[str]:
    return re.findall(r'<tr data-run-id="[0-9a-f]+">.*?<a href="/runs/[0-9a-f]+">(.*?)</a>', html, re.S)


def test_runs_page_lists_filters_and_sorts(client: Any) -> None:
    page = client.get("/runs")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers
    for name in ("exp-0", "exp-1", "broken"):
        assert name in page.text
    got = client.get("/runs", params={"where": "params.lr < 0.05", "order": "params.lr"})
    assert _names(got.text) == ["exp-2", "exp-1"]
    got = client.get("/runs", params={"where": "params.lr < 0.05", "order": "-params.lr"})
    assert _names(got.text) == ["exp-1", "exp-2"]


def test_runs_page_pages_on_the_server(client: Any) -> None:
    q = {"size": 2, "order": "name", "cols": "name", "where": "params.lr is not null"}
    first = client.get("/runs", params=q)
    second = client.get("/runs", params={**q, "page": 2})
    assert "page 1 of 3" in first.text and "page 2 of 3" in second.text
    assert len(_names(first.text)) == 2
    assert not set(_names(first.text)) & set(_names(second.text))


def test_chosen_columns_are_the_only_ones_shown(client: Any) -> None:
    page = client.get("/runs", params=[("cols", "name"), ("cols", "metrics.acc")])
    head = page.text.split("<thead>")[1].split("</thead>")[0]
    assert "metrics.acc" in head and "params.lr" not in head and "status" not in head


def test_a_bad_filter_is_explained_not_a_crash(client: Any) -> None:
    page = client.get("/runs", params={"where": "metrics.acu > 1"})
    assert page.status_code == 400
    assert "did you mean metrics.acc?" in page.text
    assert client.get("/runs", params={"order": "nope"}).status_code == 400


def test_run_page_shows_curves_dag_artifacts_and_the_failure(
    client: Any, seeded: dict[str, str]
) -> None:
    page = client.get(f"/runs/{seeded['exp-0']}").text
    assert 'class="hf-line-chart"' in page and "loss" in page
    trained = client.get(f"/runs/{seeded['train1']}").text
    assert 'class="hf-node"' in trained  # the DAG, drawn by hyperflow.viz
    assert "sha256" in trained and "demo:0.1.0" in trained
    broken = client.get(f"/runs/{seeded['broken'][:8]}").text
    assert "diverged: loss is nan" in broken and 'id="failure"' in broken
    assert client.get("/runs/ffffffff").status_code == 404


def test_compare_shows_the_config_diff_and_parallel_coordinates(
    client: Any, seeded: dict[str, str]
) -> None:
    ids = [seeded["exp-0"], seeded["exp-1"], seeded["exp-2"]]
    page = client.get("/compare", params=[("ids", i) for i in ids]).text
    diff = re.findall(r'<tr class="hf-diff"><td>(.*?)</td>', page)
    assert "lr" in diff and "model" not in diff
    assert 'class="hf-line"' in page  # hf.viz.plot_parallel
    assert client.get("/compare", params={"ids": ids[0]}).status_code == 400


def test_studies_pages_show_plots_pareto_and_trials(client: Any) -> None:
    listing = client.get("/studies").text
    assert "ui-study" in listing and "ui-pareto" in listing
    single = client.get("/studies/ui-study").text
    assert 'id="plot-history0"' in single and 'id="trials-table"' in single
    assert 'data-done="true"' in single  # finished: no polling
    pareto = client.get("/studies/ui-pareto").text
    assert 'id="plot-pareto"' in pareto and 'class="hf-pareto"' in pareto
    live = client.get("/studies/ui-study/live")
    assert live.status_code == 200 and "data-done" in live.text
    assert client.get("/studies/nope").status_code == 404


def test_user_strings_are_escaped(client: Any, seeded: dict[str, str]) -> None:
    for url in ("/runs?cols=name&cols=tags.note", f"/runs/{seeded['evil']}"):
        page = client.get(url).text
        assert EVIL not in page
        assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page


def test_models_page_is_read_only_without_the_token(client: Any) -> None:
    page = client.get("/models/demo").text
    assert 'data-alias="production">0.1.0<' in page
    assert "Promote" not in page
    refused = client.post("/models/demo/promote", data={"alias": "production", "version": "0.2.0"})
    assert refused.status_code == 401
    assert hf.registry.get("demo@production").version == "0.1.0"


def test_bearer_token_promotes_rolls_back_and_archives(client: Any) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    wrong = client.post("/models/demo/promote", data={"alias": "production", "version": "0.2.0"},
                        headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    moved = client.post("/models/demo/promote", data={"alias": "production", "version": "0.2.0"},
                        headers=auth, follow_redirects=False)
    assert moved.status_code == 303
    assert hf.registry.get("demo@production").version == "0.2.0"
    client.post("/models/demo/rollback", data={"alias": "production"}, headers=auth)
    assert hf.registry.get("demo@production").version == "0.1.0"
    client.post("/models/demo/archive", data={"version": "0.2.0"}, headers=auth)
    assert hf.registry.get("demo:0.2.0").status == "archived"
    refused = client.post("/models/demo/archive", data={"version": "0.1.0"}, headers=auth)
    assert refused.status_code == 400  # an alias points at it


def test_login_cookie_needs_the_csrf_token_and_same_origin(client: Any) -> None:
    bad = client.post("/login", data={"token": "nope"})
    assert bad.status_code == 401
    client.post("/login", data={"token": TOKEN, "next": "/models/demo"})
    cookie = client.cookies.get("hf_ui_session")
    assert cookie
    page = client.get("/models/demo").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf and "Promote" in page
    form = {"alias": "production", "version": "0.2.0"}
    assert client.post("/models/demo/promote", data=form).status_code == 403
    cross = client.post("/models/demo/promote", data={**form, "csrf": csrf.group(1)},
                        headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    assert hf.registry.get("demo@production").version == "0.1.0"
    ok = client.post("/models/demo/promote", data={**form, "csrf": csrf.group(1)},
                     headers={"Origin": "http://127.0.0.1"}, follow_redirects=False)
    assert ok.status_code == 303
    assert hf.registry.get("demo@production").version == "0.2.0"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_login_never_redirects_off_site(client: Any, target: str) -> None:
    done = client.post("/login", data={"token": TOKEN, "next": target}, follow_redirects=False)
    assert done.headers["location"] == "/runs"


def test_the_cookie_is_httponly_and_samesite_strict(client: Any) -> None:
    done = client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    cookie = done.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_assets_ship_in_the_package(client: Any) -> None:
    for name in ("hf.js", "hf.css", "favicon.svg"):
        assert client.get(f"/static/{name}").status_code == 200


def test_errors_are_dashboard_pages_with_the_message_escaped(client: Any) -> None:
    missing = client.get("/runs/<img src=x onerror=alert(1)>")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "<img src=x" not in missing.text and "&lt;img src=x" in missing.text
    assert "Content-Security-Policy" in missing.headers


def test_each_version_links_its_model_card_kept_current(client: Any) -> None:
    page = client.get("/models/demo").text
    assert 'href="/models/demo/versions/0.1.0/card"' in page
    hf.registry.describe("demo:0.1.0", intended_use=EVIL, limitations="daily data only")
    card = client.get("/models/demo/versions/0.1.0/card")
    assert card.status_code == 200 and "Content-Security-Policy" in card.headers
    assert "Model card: demo:0.1.0" in card.text and "daily data only" in card.text
    assert EVIL not in card.text and "&lt;script&gt;" in card.text
    assert client.get("/models/demo/versions/9.9.9/card").status_code == 404

"""The dashboard in a real browser: Playwright drives Debian's headless Chromium against a
real ``python -m hyperflow ui`` server on 127.0.0.1 (apt-get install -y chromium)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hyperflow as hf
from tests.serve.processes import free_port
from tests.ui.conftest import TOKEN
from tests.ui.project import EVIL

pytestmark = pytest.mark.slow

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]
REPO = Path(__file__).resolve().parents[2]


def _wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"hyperflow ui exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)  # polling for readiness, not synchronisation of the test's logic
    raise AssertionError(f"hyperflow ui did not answer on {url} within {timeout} s")


@pytest.fixture
def server(seeded: dict[str, str], tmp_path: Path) -> Iterator[str]:
    (tmp_path / "pyproject.toml").write_text(  # the project's pipelines: runs on their DAG
        '[tool.hyperflow]\nname = "uitest"\ntrain = "tests.ui.project:train"\n'
        'predict = "tests.ui.project:predict"\n'
    )
    port = free_port()
    env = {**os.environ, "HYPERFLOW_ADMIN_TOKEN": TOKEN,
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hyperflow", "ui", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url + "/runs", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "apt-get install -y chromium (the tests drive Debian's Chromium)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.hf_errors = errors
        yield pg
        browser.close()


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    (tmp_path / "screenshots").mkdir(exist_ok=True)
    page.screenshot(path=str(tmp_path / "screenshots" / f"{name}.png"), full_page=True)


def test_every_page_loads_without_console_errors(
    server: str, page: Any, seeded: dict[str, str], tmp_path: Path
) -> None:
    pages = {
        "runs": "/runs",
        "run": f"/runs/{seeded['train1']}",
        "failed-run": f"/runs/{seeded['broken']}",
        "compare": f"/compare?ids={seeded['exp-0']}&ids={seeded['exp-1']}&ids={seeded['exp-2']}",
        "studies": "/studies",
        "study": "/studies/ui-study",
        "pareto": "/studies/ui-pareto",
        "models": "/models",
        "model": "/models/demo",
        "card": "/models/demo/versions/0.1.0/card",
        "monitoring": "/monitoring",
        "monitor": "/monitoring/demo",
        "login": "/login",
    }
    for name, path in pages.items():
        response = page.goto(server + path)
        assert response is not None and response.ok, path
        page.wait_for_load_state("networkidle")
        _shot(page, tmp_path, name)
        if name == "run":
            assert page.locator(".hf-dag svg .hf-node").count() >= 3  # data, model, metrics
        if name == "monitor":
            assert page.locator("#chart-drift svg .hf-curve").count() == 3
            assert page.locator("#chart-metric svg .hf-band").count() == 1
    assert page.hf_errors == []
    page.goto(server + "/runs?cols=name&cols=tags.note")
    assert page.evaluate("window.__pwned") is None  # the stored <script> stayed text
    assert page.get_by_text(EVIL).first.is_visible()


def test_filter_sort_and_compare_in_the_browser(
    server: str, page: Any, seeded: dict[str, str]
) -> None:
    page.goto(server + "/runs")
    page.fill("input[name=where]", "params.lr < 0.05")
    page.click("text=Filter")
    page.wait_for_load_state()
    page.click("a.hf-sort:text-is('params.lr')")
    page.wait_for_load_state()
    names = page.locator("#runs-table tbody td.c-name a").all_inner_texts()
    assert names == ["exp-2", "exp-1"]
    page.click("a.hf-sort:text-is('params.lr ▲')")
    page.wait_for_load_state()
    assert page.locator("#runs-table tbody td.c-name a").all_inner_texts() == ["exp-1", "exp-2"]
    for box in page.locator("#runs-table tbody input[name=ids]").all():
        box.check()
    page.click("text=Compare")
    page.wait_for_load_state()
    diff = page.locator("#params tr.hf-diff td:first-child").all_inner_texts()
    assert diff == ["lr"]
    assert page.locator("#parallel svg").count() == 1
    assert page.hf_errors == []


def test_promote_needs_the_token(server: str, page: Any, tmp_path: Path) -> None:
    page.goto(server + "/models/demo")
    assert page.locator("button:text-is('Promote')").count() == 0  # read-only without the token
    status = page.evaluate(
        """async () => (await fetch('/models/demo/promote', {method: 'POST',
            headers: {'Content-Type': 'application/x-www-form-urlencoded'},
            body: 'alias=production&version=0.2.0'})).status"""
    )
    assert status == 401
    assert hf.registry.get("demo@production").version == "0.1.0"
    assert page.hf_errors == ["Failed to load resource: the server responded with a status of "
                              "401 (Unauthorized)"]
    page.hf_errors.clear()
    page.click("text=Log in")
    page.fill("input[name=token]", TOKEN)
    page.click("button:text-is('Log in')")
    page.wait_for_url("**/models/demo")
    row = page.locator("tr[data-version='0.2.0']")
    row.locator("input[name=alias]").fill("production")
    row.locator("button:text-is('Promote')").click()
    page.wait_for_url("**/models/demo?note=*")
    assert page.locator("[data-alias=production]").inner_text() == "0.2.0"
    assert hf.registry.get("demo@production").version == "0.2.0"
    _shot(page, tmp_path, "model-admin")
    assert page.hf_errors == []


def test_a_running_study_updates_without_reload(server: str, page: Any) -> None:
    import optuna
    from playwright.sync_api import expect

    ostudy = optuna.load_study(study_name="ui-study", storage=hf.optimize.storage_url())
    trial = ostudy.ask()  # a trial in flight: the page polls
    page.goto(server + "/studies/ui-study")
    status = page.locator("#live-status")
    assert page.locator("#live[data-poll]").count() == 1  # the page polls its live fragment
    expect(status).to_contain_text("updated", timeout=30_000)  # the poll came back
    assert page.locator("#live .hf-status.running").count() == 1
    ostudy.tell(trial, 0.99)
    expect(status).to_have_text("finished", timeout=30_000)
    assert "best 0.99" in page.locator("#live").inner_text()
    assert page.hf_errors == []


def test_monitoring_and_a_rollout_update_without_reload(server: str, page: Any) -> None:
    from playwright.sync_api import expect

    from hyperflow.store import ActionStatus, get_lease_store
    from tests.ui.loop_seed import add_check

    page.goto(server + "/monitoring/demo")
    status = page.locator("#live-status")
    expect(status).to_contain_text("updated", timeout=30_000)  # the first poll came back
    add_check(None, "demo@production", 11)  # a new window: 111 requests
    expect(page.locator("#latest")).to_contain_text("111", timeout=30_000)
    assert page.evaluate("window.__pwned") is None  # stored <script>s in alerts stay text
    assert page.locator("#alerts").get_by_text(EVIL).first.is_visible()
    page.goto(server + "/models/demo")
    expect(page.locator("#loop-status")).to_contain_text("updated", timeout=30_000)
    leases = get_lease_store(None)
    state = {"mode": "canary", "phase": "done", "step": 2, "steps": [10, 50, 100],
             "reason": "promoted"}
    (rollout,) = leases.unfinished("demo", "rollout")
    leases.finish_action(rollout.id, ActionStatus.DONE, state)
    expect(page.locator("#loop-status")).to_have_text("finished", timeout=30_000)
    assert "promoted" in page.locator("#rollouts-table").inner_text()
    assert page.hf_errors == []

"""``hyperflow monitor``, ``monitor history`` and ``alerts list`` through Typer's runner."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hyperflow.cli import app
from tests.monitor.live_helpers import log_traffic, registered

runner = CliRunner()


def _project(tmp_path: Path, extra: str = "") -> str:
    url = f"sqlite:///{tmp_path}/h.db"
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.hyperflow]\nname = "m"\nstore = "{url}"\n'
        "[tool.hyperflow.monitor]\nreference_rows = 100\n"
        '[[tool.hyperflow.alerts]]\nname = "drifting"\nwhen = "drift.share >= 0.5"\n' + extra,
        encoding="utf-8",
    )
    return url


def test_monitor_checks_then_history_and_alerts_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    version = registered(url)
    now = datetime.now(UTC)
    log_traffic(url, version, start=now - timedelta(hours=1), n=300, shift=2.0)
    result = runner.invoke(app, ["monitor", "m@production", "--window", "1d", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert got["requests"] == 300 and got["drift.share"] == 0.5
    assert got["alerts"] == ["drifting firing"]
    hist = runner.invoke(app, ["monitor", "history", "m", "--json"])
    assert hist.exit_code == 0, hist.output
    assert [r["drift.share"] for r in json.loads(hist.output)] == [0.5]
    listed = runner.invoke(app, ["alerts", "list", "--json"])
    (alert,) = json.loads(listed.output)
    assert alert["rule"] == "drifting" and alert["state"] == "firing"
    assert alert["delivered"] == 1 and alert["failed"] == 0


def test_a_misspelt_monitor_key_is_an_error_naming_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path, '[[tool.hyperflow.alerts]]\nname = "x"\nwhen = "requsts < 10"\n')
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["alerts", "list"])
    assert result.exit_code != 0  # main() prints a HyperflowError as one line, exit 1
    message = str(result.exception)
    assert "did you mean 'requests'" in message and "pyproject.toml" in message

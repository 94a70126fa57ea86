"""Triggers: cron schedule, new data (input fingerprints), open alerts; each fires once
and is an event; misconfigured triggers are errors with "did you mean"."""

from __future__ import annotations

import time

import pytest

import hyperflow as hf
from hyperflow import ConfigError
from hyperflow.retrain import events
from hyperflow.retrain._triggers import TriggerConfig, due_triggers, trigger_config
from hyperflow.store import get_monitor_store
from tests.retrain.rollout_helpers import two_versions


def test_a_cron_schedule_fires_once_per_slot(store_url: str) -> None:
    two_versions(store_url)
    cfg = trigger_config({"schedule": "*/5 * * * *"}, alerts=[])
    now = time.time()
    assert due_triggers("m", cfg, now=now, store=store_url) == []  # registered just now
    (fired,) = due_triggers("m", cfg, now=now + 601, store=store_url)
    assert fired.kind == "schedule" and fired.event_id is not None
    assert due_triggers("m", cfg, now=now + 602, store=store_url) == []  # same slot
    assert len(due_triggers("m", cfg, now=now + 1201, store=store_url)) == 1
    assert [e.detail["trigger"] for e in events("m", store=store_url)] == ["schedule"] * 2


def test_new_data_fires_when_input_fingerprints_change(
    store_url: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hyperflow]\nname = "m"\n[tool.hyperflow.inputs]\nn = 10\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    from tests.registry import models

    r = models.train.run(inputs={"n": 10}, outputs=["model", "metrics"], track=store_url)
    mv = hf.registry.register("m", run_id=str(r.run_id), predict=models.predict,
                              store=store_url)
    hf.registry.set_alias("m", "production", mv.version, store=store_url)
    cfg = TriggerConfig(on_new_data=True)
    assert due_triggers("m", cfg, store=store_url) == []
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hyperflow]\nname = "m"\n[tool.hyperflow.inputs]\nn = 10\n'
        "[tool.hyperflow.retrain.inputs]\nn = 20\n", encoding="utf-8"
    )
    (fired,) = due_triggers("m", cfg, store=store_url)
    assert fired.kind == "new_data" and fired.detail["changed"] == ["n"]
    assert due_triggers("m", cfg, store=store_url) == []  # that data already fired


def test_an_open_alert_fires_once_with_the_alert_as_cause(store_url: str) -> None:
    v1, _ = two_versions(store_url)
    mon = get_monitor_store(store_url)
    mon.open_alert("acc-drop", "m", v1, "critical", time.time(), None, {"figures": {"x": 1}})
    mon.open_alert("other", "m", v1, "warning", time.time(), None, {})
    cfg = trigger_config({"on_alert": ["acc-drop"]}, alerts=["acc-drop", "other"])
    (fired,) = due_triggers("m", cfg, store=store_url)
    assert fired.kind == "alert" and fired.detail["rule"] == "acc-drop"
    alert, trigger = events("m", store=store_url)
    assert alert.kind == "alert" and trigger.cause_id == alert.id == fired.event_id - 1
    assert due_triggers("m", cfg, store=store_url) == []


def test_bad_trigger_settings_are_errors() -> None:
    with pytest.raises(ConfigError, match="did you mean 'accuracy drop'"):
        trigger_config({"on_alert": ["accuracy drops"]}, alerts=["accuracy drop"])
    with pytest.raises(ConfigError, match="cron expression"):
        trigger_config({"schedule": "every monday"}, alerts=[])
    with pytest.raises(ConfigError, match="refit"):
        trigger_config({"mode": "again"}, alerts=[])

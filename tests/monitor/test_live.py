"""Live checks over the prediction log: reference profiles, figures, storage, history."""

from __future__ import annotations

from datetime import timedelta

import pytest

import hyperflow as hf
from hyperflow.store import get_monitor_store
from tests.monitor.live_helpers import T0, config, log_traffic, registered


def test_register_stores_the_reference_profile_by_value(store_url: str) -> None:
    version = registered(store_url)
    prof = get_monitor_store(store_url).get_reference("m", version)
    assert prof is not None and prof.source == "register"
    assert prof.fields == ["x", "group"] and prof.n_rows == 400
    assert prof.data[:2] == b"PK"  # an npz (zip) archive: arrays and JSON, no pickle


def test_check_finds_input_drift_and_stores_figures(store_url: str) -> None:
    version = registered(store_url)
    log_traffic(store_url, version, start=T0, n=300)
    log_traffic(store_url, version, start=T0 + timedelta(days=1), n=300, shift=1.5, seed=2)
    cfg = config()
    calm = hf.monitor.check("m@production", window="1d", until=T0 + timedelta(days=1),
                            store=store_url, config=cfg)
    moved = hf.monitor.check("m@production", window="1d", until=T0 + timedelta(days=2),
                             store=store_url, config=cfg)
    assert calm.figures["requests"] == 300 and calm.figures["drift.share"] == 0.0
    assert moved.figures["drift.share"] == 0.5 and moved.drift is not None
    assert moved.drift.columns["x"].drifted and not moved.drift.columns["group"].drifted
    f = moved.figures
    assert f["feedback.coverage"] == 1.0 and f["metrics.mae"] == pytest.approx(0.1)
    assert f["metrics.mae_low"] - 1e-9 <= 0.1 <= f["metrics.mae_high"] + 1e-9
    assert f["latency.p50_ms"] == 4.0 and f["error_rate"] == 0.0
    hist = hf.monitor.history("m", store=store_url)
    assert list(hist["drift.share"]) == [0.0, 0.5] and set(hist["version"]) == {version}


def test_a_window_is_stored_once(store_url: str) -> None:
    version = registered(store_url)
    log_traffic(store_url, version, start=T0, n=50)
    kw = {"window": "1d", "until": T0 + timedelta(days=1), "store": store_url, "config": config()}
    hf.monitor.check("m@production", **kw)  # type: ignore[arg-type]
    with pytest.raises(hf.HyperflowError, match="checked once"):
        hf.monitor.check("m@production", **kw)  # type: ignore[arg-type]
    assert len(hf.monitor.history("m@production", store=store_url)) == 1


def test_first_predictions_are_the_reference_when_none_was_stored(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    version = registered(url, with_reference=False)
    log_traffic(url, version, start=T0, n=300)
    log_traffic(url, version, start=T0 + timedelta(days=1), n=300, shift=2.0, seed=3)
    cfg = config(reference_rows=200)
    got = hf.monitor.check("m@production", window="1d", until=T0 + timedelta(days=2),
                           store=url, config=cfg)
    assert any("first 200 logged predictions" in n for n in got.notes)
    assert got.figures["drift.share"] == 0.5


def test_small_chunks_read_the_same_window(tmp_path: object) -> None:
    """Reading in chunks of 7 rows (bounded memory) gives the figures of one big read."""
    url = f"sqlite:///{tmp_path}/h.db"
    version = registered(url)
    log_traffic(url, version, start=T0, n=250, shift=1.0)
    until = T0 + timedelta(days=1)
    whole = hf.monitor.check("m@production", window="1d", until=until, store=url,
                             config=config(), save=False)
    small = hf.monitor.check("m@production", window="1d", until=until, store=url,
                             config=config(chunk_size=7), save=False)
    for key in ("requests", "latency.p99_ms", "feedback.count", "metrics.mae", "drift.share"):
        assert small.figures[key] == whole.figures[key], key


def test_reference_by_output_name_must_be_an_output_of_the_run(tmp_path: object) -> None:
    from tests.registry import models

    url = f"sqlite:///{tmp_path}/h.db"
    r = models.train.run(config={"model.scale": 1.0}, outputs=["model", "metrics"], track=url)
    with pytest.raises(hf.RegistryError, match=r"reference='rows' is not an output.*metrics"):
        hf.registry.register("m", run_id=str(r.run_id), predict=models.predict, store=url,
                             reference="rows")
    from hyperflow.store import get_store

    assert get_store(url).registry_store().models() == []  # refused before any version

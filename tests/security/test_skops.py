"""Safer artifacts (issue 22, point 5): scikit-learn estimators stored with skops, pickle
formats only on opt-in, and skops bytes naming untrusted types refused."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import hyperflow as hf
from hyperflow import registry
from hyperflow.store import get_artifact_store, serialize
from tests.security import skops_models as m


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/hf.db"


def test_an_estimator_is_stored_with_skops_and_loads_without_opt_in(tmp_path: Path) -> None:
    url = _url(tmp_path)
    run = m.train.run(outputs=["model"], track=url)
    mv = registry.register("sk", run_id=run.run_id, predict=m.predict, store=url)
    assert mv.artifacts["model"]["format"] == "skops"
    assert mv.lineage["serialization"] == {"allow_pickle": False}
    predictor = registry.load("sk:0.1.0", store=url, allow_pickle=False)
    assert predictor({"x": 15.0}) == 1 and predictor({"x": 2.0}) == 0


def test_pickle_artifacts_need_an_opt_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _url(tmp_path)
    run = m.train_rule.run(outputs=["rule"], track=url)
    with pytest.raises(hf.RegistryError, match=r"'rule' \(pickle\).*allow_pickle=True"):
        registry.register(
            "rule", run_id=run.run_id, predict=m.predict_rule, artifacts=["rule"], store=url
        )
    assert registry.models(store=url) == []  # nothing registered
    mv = registry.register(
        "rule",
        run_id=run.run_id,
        predict=m.predict_rule,
        artifacts=["rule"],
        allow_pickle=True,
        store=url,
    )
    assert mv.lineage["serialization"] == {"allow_pickle": True}
    assert registry.load("rule:0.1.0", store=url)({"x": 15.0}) == 1  # the registrant opted in
    with pytest.raises(hf.RegistryError, match=r"refused to load rule:0\.1\.0"):
        registry.load("rule:0.1.0", store=url, allow_pickle=False)
    monkeypatch.setenv("HYPERFLOW_ALLOW_PICKLE", "1")  # or allow_pickle = true in the project
    registry.register(
        "rule", run_id=run.run_id, predict=m.predict_rule, artifacts=["rule"], store=url
    )


def test_a_config_flag_allows_pickle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("pyproject.toml").write_text(
        '[tool.hyperflow]\nname = "p"\nallow_pickle = true\n', encoding="utf-8"
    )
    url = _url(tmp_path)
    run = m.train_rule.run(outputs=["rule"], track=url)
    mv = registry.register(
        "rule", run_id=run.run_id, predict=m.predict_rule, artifacts=["rule"], store=url
    )
    assert mv.artifacts["rule"]["format"] == "pickle"


class Evil:
    """Any type outside skops' trusted list (skops would rebuild it by importing it)."""

    def __init__(self) -> None:
        self.payload = "x"


def test_skops_bytes_naming_an_untrusted_type_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import skops.io as sio

    # the predict pipeline's module is trusted; Evil's module (this one) is not
    monkeypatch.setenv("HYPERFLOW_TRUSTED_MODULES", m.__name__)

    url = _url(tmp_path)
    run = m.train.run(outputs=["model"], track=url)
    registry.register("sk", run_id=run.run_id, predict=m.predict, store=url)
    tagged = b"\x00hyperflow:skops\n" + sio.dumps(Evil())
    digest = get_artifact_store(None).put(tagged)
    forged = {"model": {"digest": digest, "format": "skops", "size": len(tagged), "type": "x"}}
    with sqlite3.connect(tmp_path / "hf.db") as con:
        con.execute(
            "UPDATE hf_model_versions SET artifacts = ? WHERE name = 'sk'", (json.dumps(forged),)
        )
    with pytest.raises(hf.IntegrityError, match="outside skops' trusted allow-list"):
        registry.load("sk:0.1.0", store=url)
    assert serialize(Evil())[1] == "pickle"  # never stored as skops by hyperflow

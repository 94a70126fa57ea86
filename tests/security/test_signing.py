"""Signed versions (issue 22, point 5): with a signing key configured, a version whose
artifact bytes *and* recorded hash were both changed is refused at load and serve time.

The tampering is real: new bytes are written into the artifact store and the
version's row is edited with plain ``sqlite3``, as an attacker with write access to
both would.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

import hyperflow as hf
from hyperflow import registry
from hyperflow.store import get_artifact_store, serialize
from tests.security import skops_models as m

KEY = "signing-key-for-tests"


@pytest.fixture
def signed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.setenv("HYPERFLOW_SIGNING_KEY", KEY)
    url = f"sqlite:///{tmp_path}/hf.db"
    run = m.train.run(outputs=["model"], track=url)
    mv = registry.register("sk", run_id=run.run_id, predict=m.predict, store=url)
    assert mv.lineage["signature"]["alg"] == "hmac-sha256"
    assert registry.load("sk:0.1.0", store=url)({"x": 15.0}) == 1
    return tmp_path / "hf.db", url


def _edit_lineage_or_artifacts(db: Path, column: str, value: str) -> None:
    with sqlite3.connect(db) as con:
        con.execute(f"UPDATE hf_model_versions SET {column} = ? WHERE name = 'sk'", (value,))


def _swap_artifact(db: Path) -> None:
    """Write other model bytes to the artifact store and point the row at their hash."""
    flipped = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [1, 1, 0, 0])
    data, fmt = serialize(flipped)
    digest = get_artifact_store(None).put(data)
    with sqlite3.connect(db) as con:
        (text,) = con.execute("SELECT artifacts FROM hf_model_versions WHERE name='sk'").fetchone()
    arts = json.loads(text)
    arts["model"].update(digest=digest, size=len(data), format=fmt)
    _edit_lineage_or_artifacts(db, "artifacts", json.dumps(arts))


def test_tampered_bytes_and_hash_are_refused_at_load_and_serve(
    signed: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, url = signed
    _swap_artifact(db)
    with pytest.raises(hf.IntegrityError, match="signature does not match"):
        registry.load("sk:0.1.0", store=url)
    with pytest.raises(hf.IntegrityError, match="signature does not match"):
        registry.source("sk@latest", store=url).load()  # what serving loads through
    monkeypatch.delenv("HYPERFLOW_SIGNING_KEY")  # without signing the swap goes unnoticed
    assert registry.load("sk:0.1.0", store=url)({"x": 15.0}) == 0


def test_a_removed_signature_or_another_key_is_refused(
    signed: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, url = signed
    monkeypatch.setenv("HYPERFLOW_SIGNING_KEY", "another-key")
    with pytest.raises(hf.IntegrityError, match="signed with another key"):
        registry.load("sk:0.1.0", store=url)
    monkeypatch.setenv("HYPERFLOW_SIGNING_KEY", KEY)
    with sqlite3.connect(db) as con:
        (text,) = con.execute("SELECT lineage FROM hf_model_versions WHERE name='sk'").fetchone()
    lineage = json.loads(text)
    del lineage["signature"]
    _edit_lineage_or_artifacts(db, "lineage", json.dumps(lineage))
    with pytest.raises(hf.IntegrityError, match="is not signed"):
        registry.load("sk:0.1.0", store=url)


def test_other_code_under_a_signed_version_is_refused(signed: tuple[Path, str]) -> None:
    db, url = signed
    _edit_lineage_or_artifacts(db, "predict_ref", "tests.security.skops_models:predict_rule")
    with pytest.raises(hf.IntegrityError, match="signature does not match"):
        registry.load("sk:0.1.0", store=url)

"""Finding 4: whoever can write the metadata database cannot make a load run code.

Each test forges a real row of the SQLite store the registry uses (with plain
``sqlite3``, as an attacker with database access would) and shows that the
load is refused and that no forged code ran (a marker file is never created).
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import hyperflow as hf
from hyperflow import registry
from hyperflow._refs import RefError
from hyperflow.registry import CodeVersionWarning
from tests.registry import models


class Marker:
    """Unpickling this creates a file: proof that forged bytes ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (self.path,))


def _table_with(db: Path, *columns: str) -> str:
    """The table holding ``columns`` (found by reflection, not by a hard-coded name)."""
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        inspector = sa.inspect(engine)
        for table in inspector.get_table_names():
            names = {c["name"] for c in inspector.get_columns(table)}
            if set(columns) <= names:
                return table
    finally:
        engine.dispose()
    raise AssertionError(f"no table with columns {columns}")


def _forge(db: Path, table: str, column: str, value: str) -> None:
    with sqlite3.connect(db) as con:
        con.execute(f'UPDATE "{table}" SET "{column}" = ?', (value,))  # every row: one here


@pytest.fixture
def registered(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "hf.db"
    url = f"sqlite:///{db}"
    run = models.train.run(config={"model.scale": 2.0}, outputs=["model"], track=url)
    registry.register("demo", run_id=str(run.run_id), predict=models.predict, store=url)
    assert registry.load("demo:0.1.0", store=url)({"x": 1.0, "group": "a"}) == 6.5
    return db, url


def test_a_bytes_blob_presented_as_pickle_is_refused(
    registered: tuple[Path, str], tmp_path: Path
) -> None:
    db, url = registered
    marker = tmp_path / "pwned"
    with hf.start_run(store=url) as run:  # e.g. an uploaded file, logged as plain bytes
        blob = run.log_artifact(pickle.dumps(Marker(marker)), "upload")
    assert blob.format == "bytes"
    forged = {"model": {"digest": blob.digest, "format": "pickle", "size": blob.size, "type": "x"}}
    _forge(db, _table_with(db, "predict_ref", "artifacts"), "artifacts", json.dumps(forged))
    with pytest.raises(hf.RegistryError, match="stored in a pickle format"):
        registry.load("demo:0.1.0", store=url)  # issue 22: pickle formats need an opt-in
    with pytest.raises(hf.IntegrityError, match="written as 'bytes' but their record says 'pickle'"):
        registry.load("demo:0.1.0", store=url, allow_pickle=True)  # and the tag still refuses
    assert not marker.exists()
    with sqlite3.connect(db) as con:  # the run's own artifact row, forged the same way
        table = _table_with(db, "run_id", "name", "digest", "format")
        con.execute(f'UPDATE "{table}" SET format = ? WHERE name = ?', ("pickle", "upload"))
    with pytest.raises(hf.IntegrityError, match="refused, nothing was loaded"):
        hf.runs.load_artifact(run.id, "upload", store=url)
    assert not marker.exists()


def test_a_json_blob_presented_as_joblib_is_refused(
    registered: tuple[Path, str], tmp_path: Path
) -> None:
    db, url = registered
    with hf.start_run(store=url) as run:
        blob = run.log_artifact({"a": 1}, "settings")
    forged = {"model": {"digest": blob.digest, "format": "joblib", "size": blob.size, "type": "x"}}
    _forge(db, _table_with(db, "predict_ref", "artifacts"), "artifacts", json.dumps(forged))
    with pytest.raises(hf.IntegrityError, match="written as 'json'"):
        registry.load("demo:0.1.0", store=url, allow_pickle=True)


def test_a_predict_ref_to_os_system_is_refused_before_import(
    registered: tuple[Path, str],
) -> None:
    db, url = registered
    _forge(db, _table_with(db, "predict_ref", "artifacts"), "predict_ref", "os:system")
    with pytest.raises(RefError, match="names module 'os', which is not one of this project"):
        registry.load("demo:0.1.0", store=url)


def test_a_predict_ref_outside_the_allow_list_is_never_imported(
    registered: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, url = registered
    marker = tmp_path / "pwned"
    elsewhere = tmp_path / "site"  # importable, but not the project's code
    elsewhere.mkdir()
    (elsewhere / "evil_mod.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).touch()\npredict = None\n"
    )
    monkeypatch.syspath_prepend(str(elsewhere))
    table = _table_with(db, "predict_ref", "artifacts")
    for ref in ("evil_mod:predict", "tests.registry.models:__class__", "evil_mod:a._b"):
        _forge(db, table, "predict_ref", ref)
        with pytest.raises(RefError, match="refused before importing"):
            registry.load("demo:0.1.0", store=url)
    assert not marker.exists() and "evil_mod" not in sys.modules


def test_the_allow_list_is_the_project_plus_the_env_var(
    registered: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, url = registered
    code = (
        "import hyperflow as hf\n"
        "def prediction(model: dict, x: float) -> float:\n"
        "    return model['slope'] * x\n"
        "predict = hf.Pipeline([prediction], name='p')\n"
    )
    outside = tmp_path / "site"
    outside.mkdir()
    (outside / "extpkg.py").write_text(code)
    monkeypatch.syspath_prepend(str(outside))
    table = _table_with(db, "predict_ref", "artifacts")
    _forge(db, table, "predict_ref", "extpkg:predict")
    with pytest.raises(RefError, match="add 'extpkg' to HYPERFLOW_TRUSTED_MODULES"):
        registry.load("demo:0.1.0", store=url)
    monkeypatch.setenv("HYPERFLOW_TRUSTED_MODULES", "tests, extpkg")
    arts = str(tmp_path / ".hyperflow" / "artifacts")
    with pytest.warns(CodeVersionWarning):  # another pipeline than the registered one
        assert registry.load("demo:0.1.0", store=url, artifact_store=arts)({"x": 2.0}) == 4.0
    project = tmp_path / "proj"  # a project's own module needs no setting
    (project / "src").mkdir(parents=True)
    (project / "hyperflow.toml").write_text('name = "p"\n')
    (project / "src" / "ownpkg").mkdir()
    (project / "src" / "ownpkg" / "__init__.py").write_text(code)
    monkeypatch.delenv("HYPERFLOW_TRUSTED_MODULES")
    monkeypatch.chdir(project / "src")
    _forge(db, table, "predict_ref", "ownpkg:predict")
    with pytest.warns(CodeVersionWarning):
        assert registry.load("demo:0.1.0", store=url, artifact_store=arts)({"x": 3.0}) == 6.0

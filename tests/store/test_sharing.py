"""Other layers share the metadata store's database (Optuna's RDBStorage included)."""

from __future__ import annotations

import time

import sqlalchemy as sa

import hyperflow as hf
from hyperflow.store import HEAD, MetricPoint, RunRecord, SQLStore, current_revision


def test_optuna_rdb_storage_shares_the_database(store_url: str) -> None:
    import optuna

    store = SQLStore(store_url)
    storage = optuna.storages.RDBStorage(store.sqlalchemy_url)
    study = optuna.create_study(study_name="s", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=3)
    store.create_run(RunRecord(run_id="a" * 32, status="running", start_time=time.time()))
    store.log_metrics("a" * 32, [MetricPoint("best", study.best_value, 0, time.time())])
    reopened = SQLStore(store_url)
    with reopened.engine.connect() as conn:
        assert current_revision(conn) == HEAD
        tables = set(sa.inspect(conn).get_table_names())
    assert {"studies", "trials", "alembic_version", "hf_runs"} <= tables
    rec = reopened.get_run("a" * 32)
    assert rec is not None and rec.metrics == {"best": study.best_value}
    assert len(optuna.load_study(study_name="s", storage=store.sqlalchemy_url).trials) == 3
    storage.remove_session()
    storage.engine.dispose()


def test_public_names_are_exported() -> None:
    assert {"runs", "start_run"} <= set(hf.__all__)
    assert callable(hf.start_run) and callable(hf.runs.search)
    assert set(hf.store.__all__) <= set(dir(hf.store))
    assert set(hf.tracking.__all__) <= set(dir(hf.tracking))

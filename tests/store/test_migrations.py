"""The schema is created and upgraded by Alembic; old databases upgrade with their data."""

from __future__ import annotations

import time

import sqlalchemy as sa

from hyperflow.store import HEAD, MetricPoint, NodeRecord, SQLStore, current_revision, upgrade


def _first_revision_db(url: str) -> sa.Engine:
    """A database as the first schema revision (0001) created it, with a run in it."""
    engine = sa.create_engine(url)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO hf_runs (run_id, name, pipeline, status, start_time, config) "
                "VALUES ('r1', 'old', 'train', 'finished', 1.0, '{\"model.C\": 0.1}')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO hf_params (run_id, key, value, text, num) "
                "VALUES ('r1', 'model', '\"lr\"', 'lr', NULL)"
            )
        )
        for step, value in [(0, 0.5), (2, 0.9), (1, 0.7)]:
            conn.execute(
                sa.text(
                    "INSERT INTO hf_metrics (run_id, key, step, value, timestamp) "
                    "VALUES ('r1', 'f1', :s, :v, 1.0)"
                ),
                {"s": step, "v": value},
            )
    return engine


def test_new_database_is_created_at_head(store_url: str) -> None:
    store = SQLStore(store_url)
    with store.engine.connect() as conn:
        assert current_revision(conn) == HEAD
        tables = set(sa.inspect(conn).get_table_names())
    assert {"hf_runs", "hf_metrics", "hf_latest_metrics", "hf_nodes", "hf_artifacts"} <= tables
    assert "hyperflow_alembic_version" in tables and "alembic_version" not in tables
    store.close()


def test_database_from_first_revision_upgrades_with_its_data(store_url: str) -> None:
    engine = _first_revision_db(store_url)
    with engine.connect() as conn:
        assert current_revision(conn) == "0001"
    engine.dispose()

    store = SQLStore(store_url)  # opening upgrades to head
    with store.engine.connect() as conn:
        assert current_revision(conn) == HEAD
    rec = store.get_run("r1")
    assert rec is not None
    assert (rec.name, rec.status, rec.params, rec.config) == (
        "old",
        "finished",
        {"model": "lr"},
        {"model.C": 0.1},
    )
    assert rec.metrics == {"f1": 0.9}  # latest metric backfilled from the highest step
    assert [r.name for r in store.search_runs(where="metrics.f1 > 0.8")] == ["old"]
    # columns and tables of the new revision work on the upgraded database
    store.log_nodes("r1", [NodeRecord("model", 0.2, False, "abc")])
    store.log_metrics("r1", [MetricPoint("f1", 0.95, 3, time.time())])
    store.heartbeat("r1", 5.0)
    rec = store.get_run("r1")
    assert rec is not None and rec.metrics == {"f1": 0.95} and "model" in rec.nodes
    store.close()


def test_stores_opening_a_new_database_at_once_do_not_race(store_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    n = 3
    with ThreadPoolExecutor(n) as pool:
        stores = list(pool.map(lambda _: SQLStore(store_url), range(n)))
    with stores[0].engine.connect() as conn:
        assert current_revision(conn) == HEAD
    for s in stores:
        s.close()


def test_head_constant_matches_the_migration_scripts() -> None:
    from alembic.script import ScriptDirectory

    from hyperflow.store._migrate import _config

    assert ScriptDirectory.from_config(_config()).get_current_head() == HEAD


def test_registry_versions_from_revision_0004_are_searchable_after_upgrade(
    store_url: str,
) -> None:
    engine = sa.create_engine(store_url)
    upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO hf_models (name, created_at) VALUES ('m', 1.0)"))
        for version, key, metrics, tags in [
            ("1.0.0", "000000001.000000000.000000000~", '{"f1": 0.7}', '{"team": "a"}'),
            ("1.1.0", "000000001.000000001.000000000~", '{"f1": 0.9, "x": NaN}', "{}"),
        ]:
            conn.execute(
                sa.text(
                    "INSERT INTO hf_model_versions (name, version, sort_key, run_id, "
                    "predict_ref, artifacts, lineage, metrics, tags, status, created_at) "
                    "VALUES ('m', :v, :k, 'r1', 'a:b', '{}', '{}', :m, :t, 'active', 1.0)"
                ),
                {"v": version, "k": key, "m": metrics, "t": tags},
            )
    engine.dispose()
    store = SQLStore(store_url)  # upgrades to head, copying metrics and tags
    registry = store.registry_store()
    assert [v.version for v in registry.search("metrics.f1 > 0.8")] == ["1.1.0"]
    assert [v.version for v in registry.search("tags.team = 'a'")] == ["1.0.0"]
    assert [v.version for v in registry.search("metrics.x is not null")] == ["1.1.0"]
    assert registry.get_version("m", "1.0.0").metrics == {"f1": 0.7}
    store.close()

"""Conformance suites every store implementation must pass, and test servers.

Subclass a suite in a test module and provide the fixture it needs::

    class TestMyStore(MetadataStoreSuite):
        @pytest.fixture
        def metadata_store(self):
            return MyStore(...)   # a fresh, empty store

:class:`ArtifactStoreSuite` needs ``artifact_store`` (a fresh store exposing
``fs`` and ``path_of``, as :class:`FileArtifactStore` does). Also here:
:func:`postgres_schema_url` (an isolated schema on a real PostgreSQL) and
:func:`moto_s3` (a real moto S3 server on 127.0.0.1). Requires pytest.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from hyperflow._errors import IntegrityError, StoreError
from hyperflow.store._base import (
    ArtifactRecord,
    ArtifactStore,
    MetadataStore,
    MetricPoint,
    NodeRecord,
    RunRecord,
)
from hyperflow.store._query import QueryError

__all__ = [
    "DEFAULT_TEST_POSTGRES_URL",
    "ArtifactStoreSuite",
    "MetadataStoreSuite",
    "moto_s3",
    "postgres_schema_url",
]

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _new_id() -> str:
    return uuid.uuid4().hex


def _run(store: MetadataStore, **kw: Any) -> str:
    run_id = kw.pop("run_id", None) or _new_id()
    kw.setdefault("status", "running")
    kw.setdefault("start_time", time.time())
    store.create_run(RunRecord(run_id=run_id, **kw))
    return run_id


class MetadataStoreSuite:
    """The contract of :class:`~hyperflow.store.MetadataStore`; needs ``metadata_store``."""

    def test_create_and_get_round_trips_every_field(self, metadata_store: MetadataStore) -> None:
        params = {"model": "lr", "C": 0.5, "n": 3, "flag": True, "layers": [1, 2]}
        run_id = _run(
            metadata_store,
            name="exp",
            pipeline="train",
            params=params,
            tags={"team": "a"},
            config={"model.C": 0.5},
            lineage={"git": {"commit": "abc", "dirty": False}},
            pid=123,
            host="h",
        )
        rec = metadata_store.get_run(run_id)
        assert rec is not None
        assert (rec.name, rec.pipeline, rec.status, rec.pid, rec.host) == (
            "exp",
            "train",
            "running",
            123,
            "h",
        )
        assert rec.params == params
        assert rec.tags == {"team": "a"}
        assert rec.config == {"model.C": 0.5}
        assert rec.lineage == {"git": {"commit": "abc", "dirty": False}}
        assert metadata_store.get_run(_new_id()) is None

    def test_duplicate_id_and_unknown_run_raise(self, metadata_store: MetadataStore) -> None:
        run_id = _run(metadata_store)
        with pytest.raises(StoreError, match="already exists"):
            _run(metadata_store, run_id=run_id)
        ghost = _new_id()
        with pytest.raises(StoreError, match=ghost):
            metadata_store.log_metrics(ghost, [MetricPoint("f1", 1.0, 0, time.time())])
        with pytest.raises(StoreError, match=ghost):
            metadata_store.log_params(ghost, {"a": 1})
        with pytest.raises(StoreError, match=ghost):
            metadata_store.end_run(ghost, status="finished", end_time=time.time())

    def test_latest_metric_is_highest_step_and_history_is_ordered(
        self, metadata_store: MetadataStore
    ) -> None:
        run_id = _run(metadata_store)
        now = time.time()
        metadata_store.log_metrics(
            run_id, [MetricPoint("loss", 1.0, 0, now), MetricPoint("loss", 0.5, 2, now)]
        )
        metadata_store.log_metrics(run_id, [MetricPoint("loss", 0.7, 1, now)])  # late, older step
        rec = metadata_store.get_run(run_id)
        assert rec is not None and rec.metrics == {"loss": 0.5}
        metadata_store.log_metrics(run_id, [MetricPoint("loss", 0.4, 2, now)])  # same step: last
        rec = metadata_store.get_run(run_id)
        assert rec is not None and rec.metrics == {"loss": 0.4}
        hist = metadata_store.metric_history(run_id, "loss")
        assert [(p.step, p.value) for p in hist] == [(0, 1.0), (1, 0.7), (2, 0.5), (2, 0.4)]

    def test_params_and_tags_overwrite(self, metadata_store: MetadataStore) -> None:
        run_id = _run(metadata_store, params={"a": 1}, tags={"t": "x"})
        metadata_store.log_params(run_id, {"a": 2, "b": "y"})
        metadata_store.set_tags(run_id, {"t": "z"})
        rec = metadata_store.get_run(run_id)
        assert rec is not None
        assert rec.params == {"a": 2, "b": "y"} and rec.tags == {"t": "z"}

    def test_end_run_records_status_error_and_traceback(
        self, metadata_store: MetadataStore
    ) -> None:
        run_id = _run(metadata_store)
        metadata_store.end_run(
            run_id,
            status="failed",
            end_time=time.time(),
            error="ValueError: boom",
            failed_node="model",
            traceback="Traceback ...",
        )
        metadata_store.end_run(  # guarded: only while still running
            run_id, status="finished", end_time=time.time(), expected_status="running"
        )
        rec = metadata_store.get_run(run_id)
        assert rec is not None
        assert (rec.status, rec.error, rec.failed_node) == ("failed", "ValueError: boom", "model")
        assert rec.traceback == "Traceback ..." and rec.end_time is not None

    def test_nodes_artifacts_lineage_and_heartbeat(self, metadata_store: MetadataStore) -> None:
        run_id = _run(metadata_store, lineage={"seed": 1})
        metadata_store.log_nodes(run_id, [NodeRecord("a", 0.5, False, "v1")])
        metadata_store.log_nodes(
            run_id, [NodeRecord("a", 0.1, True, "v1"), NodeRecord("b", 1, False)]
        )
        art = ArtifactRecord("model", "ab" * 32, "joblib", 10, "sklearn.X")
        metadata_store.log_artifact(run_id, art)
        metadata_store.set_lineage(run_id, {"inputs": {"x": "f"}})
        metadata_store.heartbeat(run_id, 42.0)
        rec = metadata_store.get_run(run_id)
        assert rec is not None
        assert rec.nodes["a"] == NodeRecord("a", 0.1, True, "v1")
        assert rec.nodes["b"].code_version is None and rec.nodes["b"].cache_hit is False
        assert rec.artifacts == {"model": art}
        assert rec.lineage == {"seed": 1, "inputs": {"x": "f"}}
        assert rec.heartbeat == 42.0

    def test_read_records_are_not_changed_by_later_writes(
        self, metadata_store: MetadataStore
    ) -> None:
        run_id = _run(metadata_store, params={"a": 1})
        before = metadata_store.get_run(run_id)
        metadata_store.log_params(run_id, {"a": 2})
        metadata_store.log_metrics(run_id, [MetricPoint("m", 1.0, 0, time.time())])
        assert before is not None and before.params == {"a": 1} and before.metrics == {}

    def _population(self, store: MetadataStore) -> dict[str, str]:
        ids = {}
        rows = [
            ("lr", 0.95, "train", "a"),
            ("lr", 0.85, "train", "b"),
            ("svm", 0.92, "train", None),
            ("svm", None, "other", "a"),
        ]
        for i, (model, f1, pipeline, team) in enumerate(rows):
            run_id = _run(
                store,
                name=f"r{i}",
                pipeline=pipeline,
                params={"model": model, "C": 10.0**-i},
                start_time=1000.0 + i,
                tags={"team": team} if team else None,
            )
            if f1 is not None:
                store.log_metrics(run_id, [MetricPoint("f1", f1, 0, time.time())])
            ids[f"r{i}"] = run_id
        return ids

    def _names(self, store: MetadataStore, **kw: Any) -> list[str | None]:
        return [r.name for r in store.search_runs(**kw)]

    def test_search_filters_orders_and_limits(self, metadata_store: MetadataStore) -> None:
        self._population(metadata_store)
        s = metadata_store
        assert self._names(s) == ["r3", "r2", "r1", "r0"]  # newest first
        assert self._names(s, where="metrics.f1 > 0.9", order_by="-metrics.f1") == ["r0", "r2"]
        where = "metrics.f1 > 0.9 and params.model = 'lr'"
        assert self._names(s, where=where) == ["r0"]
        assert self._names(s, where="params.C < 0.05", order_by="name") == ["r2", "r3"]
        assert self._names(s, pipeline="train", order_by="-metrics.f1", limit=2) == ["r0", "r2"]
        assert self._names(s, order_by="metrics.f1") == ["r1", "r2", "r0", "r3"]  # nulls last
        assert self._names(s, where="tags.team = 'a'", order_by="start_time") == ["r0", "r3"]
        assert self._names(s, where="tags.team is null", order_by="name") == ["r2"]
        assert self._names(s, where="metrics.f1 is null") == ["r3"]
        where = "(params.model = 'svm' or metrics.f1 < 0.9) and pipeline = 'train'"
        assert self._names(s, where=where, order_by="name") == ["r1", "r2"]
        assert self._names(s, where="name in ('r1', 'r3')", order_by="-name") == ["r3", "r1"]
        assert self._names(s, where="params.model like 's%'", order_by="name") == ["r2", "r3"]
        assert self._names(s, where="status = 'finished'") == []

    def test_search_by_parent(self, metadata_store: MetadataStore) -> None:
        parent = _run(metadata_store, name="study")
        _run(metadata_store, name="t0", parent_id=parent, start_time=1.0)
        _run(metadata_store, name="t1", parent_id=parent, start_time=2.0)
        assert self._names(metadata_store, parent_id=parent) == ["t1", "t0"]

    def test_bad_filter_names_the_problem(self, metadata_store: MetadataStore) -> None:
        with pytest.raises(QueryError, match="unknown field 'f1'"):
            metadata_store.search_runs(where="f1 > 0.9")
        with pytest.raises(QueryError, match="expected"):
            metadata_store.search_runs(where="metrics.f1 >")
        with pytest.raises(QueryError, match="unknown field"):
            metadata_store.search_runs(order_by="-accuracy")

    def test_running_runs(self, metadata_store: MetadataStore) -> None:
        a = _run(metadata_store)
        b = _run(metadata_store)
        metadata_store.end_run(b, status="finished", end_time=time.time())
        assert [r.run_id for r in metadata_store.running_runs()] == [a]


class ArtifactStoreSuite:
    """The contract of :class:`~hyperflow.store.ArtifactStore`; needs ``artifact_store``."""

    @staticmethod
    def _overwrite(store: Any, digest: str, data: bytes) -> None:
        store.fs.pipe_file(store.path_of(digest), data)

    def test_put_get_is_content_addressed(self, artifact_store: ArtifactStore) -> None:
        data = os.urandom(100_000)
        digest = artifact_store.put(data)
        assert digest == hashlib.sha256(data).hexdigest()
        assert artifact_store.exists(digest)
        assert artifact_store.get(digest) == data
        assert artifact_store.put(data) == digest
        assert artifact_store.put(b"") == hashlib.sha256(b"").hexdigest()
        assert artifact_store.get(hashlib.sha256(b"").hexdigest()) == b""

    def test_missing_blob_is_a_store_error(self, artifact_store: ArtifactStore) -> None:
        digest = hashlib.sha256(b"never stored").hexdigest()
        assert not artifact_store.exists(digest)
        with pytest.raises(StoreError, match="missing") as info:
            artifact_store.get(digest)
        assert not isinstance(info.value, IntegrityError)

    def test_tampered_or_truncated_blob_raises_integrity_error(
        self, artifact_store: ArtifactStore
    ) -> None:
        data = b"x" * 1000
        digest = artifact_store.put(data)
        self._overwrite(artifact_store, digest, data[:500])
        with pytest.raises(IntegrityError, match="truncated"):
            artifact_store.get(digest)
        self._overwrite(artifact_store, digest, b"y" * 1000)
        with pytest.raises(IntegrityError, match=digest):
            artifact_store.get(digest)

    def test_invalid_digest_is_rejected(self, artifact_store: ArtifactStore) -> None:
        with pytest.raises(StoreError, match="sha256"):
            artifact_store.get("../../etc/passwd")


@contextmanager
def postgres_schema_url(base_url: str | None = None) -> Iterator[str]:
    """A URL whose connections use a fresh schema on a real PostgreSQL (dropped after).

    ``base_url`` defaults to ``HYPERFLOW_TEST_POSTGRES_URL``, else
    :data:`DEFAULT_TEST_POSTGRES_URL`. When the server is unreachable the test
    is skipped, except under ``CI=true``, where it fails.
    """
    import sqlalchemy as sa

    base = base_url or os.environ.get("HYPERFLOW_TEST_POSTGRES_URL") or DEFAULT_TEST_POSTGRES_URL
    schema = f"hf_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, poolclass=sa.pool.NullPool)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        msg = f"PostgreSQL at {base} is unreachable ({type(exc).__name__}: {exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + "; CI requires it (set HYPERFLOW_TEST_POSTGRES_URL)")
        pytest.skip(msg)
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def moto_s3() -> Iterator[dict[str, Any]]:
    """A real moto S3 server on 127.0.0.1 with one bucket; yields fsspec storage options.

    Yields ``{"endpoint_url": ..., "key": ..., "secret": ..., "bucket": ...}``.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        import s3fs

        opts = {"endpoint_url": endpoint, "key": "testing", "secret": "testing"}
        fs = s3fs.S3FileSystem(
            key="testing", secret="testing", client_kwargs={"endpoint_url": endpoint}
        )
        # moto keeps its buckets per process, not per server: a fresh name per server
        from hyperflow._ids import random_id

        bucket = f"hyperflow-test-{random_id()[:12]}"
        fs.mkdir(bucket)
        yield {**opts, "bucket": bucket}
    finally:
        server.stop()

"""Monitoring a service endpoint: query embeddings logged by a served ``hf.Service``
endpoint are tested with MMD; a shift in query topics is flagged, the same topic is not."""

from __future__ import annotations

import numpy as np
import pytest

import hyperflow as hf
from hyperflow.monitor import MonitorConfig
from hyperflow.serve import create_app
from tests.serve.conftest import Running
from tests.serve.toy_service import VOCABULARY, register_toy

CODE, BAKING = VOCABULARY[:10], VOCABULARY[10:]


def _queries(srv: Running, doc: str, words: list[str], n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(n):
        query = " ".join(rng.choice(words, size=3))
        answer = srv.client.post("/query_document", json={"document_id": doc, "query": query})
        assert answer.status_code == 200, answer.text


@pytest.mark.slow
def test_a_shift_in_query_topics_is_flagged_on_the_endpoints_embeddings() -> None:
    register_toy()
    srv = Running(create_app("toy@production", poll_interval_s=None))
    try:
        text = b"python function class module\n\nbread flour oven dough"
        doc = srv.client.post(
            "/upload_document", files={"file": ("a.txt", text)}
        ).json()["result"]["document_id"]
        _queries(srv, doc, CODE, 80, seed=0)  # the reference: the first logged requests
        _queries(srv, doc, CODE, 40, seed=1)
    finally:
        srv.stop()  # flushes the log
    cfg = MonitorConfig(
        reference_rows=80, exclude=["query", "document_id", "output.answer", "output.score"],
        calibration_windows=30,
    )
    same = hf.monitor.check("toy@production", endpoint="query_document", last=40, config=cfg)
    assert same.record.name == "toy/query_document"
    assert same.record.target == "toy@production/query_document"
    assert [c["column"] for c in same.figures["drift.top"]] == ["output.query_embedding"]
    assert same.drift is not None
    kept = same.drift.columns["output.query_embedding"]
    assert (kept.test, kept.drifted) == ("mmd", False)  # the MMD test at alpha 0.05
    assert same.figures["drift.tests_drifted"] == 0.0
    assert same.figures["drift.threshold"] > 0  # calibrated on resampled reference vectors
    assert same.figures["drift.alarm"] == 0.0

    srv = Running(create_app("toy@production", poll_interval_s=None))
    try:
        _queries(srv, doc, BAKING, 40, seed=2)
    finally:
        srv.stop()
    shifted = hf.monitor.check("toy@production", endpoint="query_document", last=40, config=cfg)
    assert shifted.drift is not None
    moved = shifted.drift.columns["output.query_embedding"]
    assert (moved.test, moved.drifted) == ("mmd", True)
    assert moved.p_value is not None and moved.p_value < 0.01
    assert shifted.figures["drift.tests_drifted"] == 1.0
    assert shifted.figures["drift.alarm"] == 1.0

"""`hyperflow serve toy@production` for an `hf.Service`: a real process serves every
endpoint, and the uploaded document is still there after the process restarts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import hyperflow as hf
from tests.serve.processes import ServeProcess, cli_env
from tests.serve.toy_service import register_toy

TEXT = b"python function class\n\nbread flour oven"


def _serve(project: Path) -> tuple[ServeProcess, httpx.Client]:
    server = ServeProcess(["toy@production"], project, cli_env())
    start = server.wait_for("http://127.0.0.1:")
    assert "toy" in start and "production" in start
    return server, httpx.Client(base_url=server.url, timeout=10)


@pytest.mark.slow
def test_serve_command_serves_a_service_and_its_state_outlives_the_process(
    tmp_path: Path,
) -> None:
    (tmp_path / "hyperflow.toml").write_text('name = "toy"\n')
    register_toy()
    server, client = _serve(tmp_path)
    try:
        up = client.post("/upload_document", files={"file": ("a.txt", TEXT, "text/plain")})
        assert up.status_code == 200, up.text
        doc = up.json()["result"]["document_id"]
        assert client.get("/version").json()["endpoints"] == [
            "upload_document", "query_document", "delete_document", "embed",
        ]
    finally:
        client.close()
        assert server.stop() == 0
    server, client = _serve(tmp_path)  # a new process on the same store
    try:
        answer = client.post("/query_document", json={"document_id": doc, "query": "oven"})
        assert answer.status_code == 200 and answer.json()["result"]["answer"] == "bread flour oven"
    finally:
        client.close()
        assert server.stop() == 0
    assert len(hf.predictions.search("toy/upload_document")) == 1
    assert len(hf.predictions.search("toy/query_document")) == 1

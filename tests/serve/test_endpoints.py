"""A registered ``hf.Service`` served by a real uvicorn on 127.0.0.1: one typed route per
endpoint, multipart uploads, lasting state, per-endpoint log rows, metrics and batching."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import hyperflow as hf
from hyperflow.serve import create_app
from tests.serve.conftest import Running
from tests.serve.toy_service import DOCUMENTS, register_toy

TEXT = b"python function and class\n\nbread flour oven bake\n\nstring list dict"
ENDPOINTS = ["delete_document", "embed", "query_document", "upload_document"]


def _upload(client: httpx.Client, data: bytes = TEXT, name: str = "a.txt") -> httpx.Response:
    return client.post("/upload_document", files={"file": (name, data, "text/plain")})


@pytest.fixture
def toy(serve_app: Callable[..., Running]) -> Running:
    register_toy()
    return serve_app(create_app("toy@production", poll_interval_s=None))


def test_each_endpoint_is_a_typed_route_in_the_openapi_document(toy: Running) -> None:
    spec = toy.client.get("/openapi.json").json()
    routes = sorted(p for p in spec["paths"] if p.strip("/") in ENDPOINTS)
    assert routes == [f"/{e}" for e in ENDPOINTS]
    assert "/predict" not in spec["paths"]
    schemas = spec["components"]["schemas"]
    query = spec["paths"]["/query_document"]["post"]
    row = query["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert set(schemas[row]["properties"]) == {"document_id", "query"}  # no state, no dims
    ok = query["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schemas[ok.split("/")[-1]]["properties"]) >= {"request_id", "endpoint", "result"}
    upload = spec["paths"]["/upload_document"]["post"]["requestBody"]["content"]
    form = upload["multipart/form-data"]["schema"]
    assert form["properties"]["file"]["format"] == "binary" and form["required"] == ["file"]


def test_upload_then_query_over_http_and_unknown_routes_name_the_endpoints(toy: Running) -> None:
    up = _upload(toy.client)
    assert up.status_code == 200, up.text
    body = up.json()
    assert (body["endpoint"], body["result"]["chunks"], body["result"]["created"]) == (
        "upload_document", 3, True,
    )
    doc = body["result"]["document_id"]
    answer = toy.client.post("/query_document", json={"document_id": doc, "query": "bake bread"})
    assert answer.status_code == 200
    assert answer.json()["result"]["answer"] == "bread flour oven bake"
    typo = toy.client.post("/query_documnt", json={})
    assert typo.status_code == 404 and "did you mean 'query_document'" in typo.json()["detail"]
    assert toy.client.post("/predict", json={}).status_code == 404


@pytest.mark.parametrize(
    ("send", "status", "words"),
    [
        (lambda c: c.post("/query_document", json={"document_id": "x"}), 422, "query"),
        (lambda c: c.post("/query_document", json={"document_id": "nope", "query": "q"}), 404,
         "unknown document_id 'nope'"),
        (lambda c: c.post("/query_document", json={"document_id": "x", "query": " "}), 422,
         "the query is empty"),
        (lambda c: _upload(c, b""), 422, "is empty (0 bytes)"),
        (lambda c: _upload(c, b"x" * 2_001), 413, "exceeds 2000 bytes"),
        (lambda c: c.post("/upload_document", json={"file": "x"}), 415, "multipart/form-data"),
        (lambda c: _upload(c, b"\xff\xfe\xfa"), 422, "not UTF-8"),
        (lambda c: c.post("/upload_document", files={"file": ("a", TEXT)}, data={"x": "1"}),
         422, "unknown form field(s) ['x']"),
    ],
    ids=["missing-field", "unknown-id", "empty-query", "empty-file", "oversized", "json-upload",
         "not-text", "unknown-form-field"],
)
def test_bad_input_is_a_4xx_naming_the_problem_and_nothing_is_half_stored(
    toy: Running, send: Callable[[httpx.Client], httpx.Response], status: int, words: str
) -> None:
    answer = send(toy.client)
    assert answer.status_code == status, answer.text
    assert words in answer.text
    assert hf.ServiceState("toy").collection(DOCUMENTS).keys() == []


def test_state_survives_a_restart_and_delete_removes_the_chunks(
    serve_app: Callable[..., Running],
) -> None:
    register_toy()
    first = serve_app(create_app("toy@production", poll_interval_s=None))
    doc = _upload(first.client).json()["result"]["document_id"]
    first.stop()
    second = serve_app(create_app("toy@production", poll_interval_s=None))
    again = _upload(second.client).json()["result"]
    assert (again["document_id"], again["created"]) == (doc, False)  # known: not stored twice
    q = {"document_id": doc, "query": "python class"}
    assert second.client.post("/query_document", json=q).status_code == 200
    assert second.client.post("/delete_document", json={"document_id": doc}).json()["result"]
    docs = hf.ServiceState("toy").collection(DOCUMENTS)
    assert (docs.keys(), docs.chunks()) == ([], [])
    assert second.client.post("/query_document", json=q).status_code == 404


def test_concurrent_uploads_store_each_document_once_with_its_chunks(toy: Running) -> None:
    files = [f"text {i}\n\npython {i}\n\nbread {i}".encode() for i in range(4)]
    results: list[Any] = [None] * 12
    start = threading.Barrier(12)

    def upload(i: int) -> None:
        with httpx.Client(base_url=toy.url, timeout=30) as c:
            start.wait()
            results[i] = _upload(c, files[i % 4], f"f{i % 4}.txt").json()["result"]

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["created"] for r in results) == 4
    docs = hf.ServiceState("toy").collection(DOCUMENTS)
    assert len(docs) == 4
    assert len(docs.chunks()) == 12
    assert all(docs.get(k).items == 3 for k in docs)  # type: ignore[union-attr]


def test_rows_are_logged_per_endpoint_and_metrics_carry_the_endpoint(toy: Running) -> None:
    doc = _upload(toy.client).json()["result"]["document_id"]
    toy.client.post("/query_document", json={"document_id": doc, "query": "bread"})
    toy.client.post("/query_document", json={"document_id": "nope", "query": "bread"})
    metrics = toy.client.get("/metrics").text
    assert 'hyperflow_endpoint_calls_total{endpoint="query_document",outcome="ok"} 1.0' in metrics
    assert 'hyperflow_endpoint_calls_total{endpoint="query_document",outcome="refused"} 1.0' in (
        metrics
    )
    assert 'route="/upload_document"' in metrics
    toy.stop()  # flushes the prediction log
    queries = hf.predictions.search("toy/query_document")
    assert list(queries["inputs"]) == [{"document_id": doc, "query": "bread"}]
    assert len(queries["output"][0]["query_embedding"]) == 20
    uploads = hf.predictions.search("toy/upload_document")
    logged = uploads["inputs"][0]["file"]
    assert logged["bytes"] == len(TEXT) and len(logged["sha256"]) == 64  # never the bytes
    assert hf.predictions.search("toy").empty


def test_each_endpoint_has_its_own_micro_batching(toy: Running) -> None:
    results: list[int] = []
    start = threading.Barrier(8)

    def embed(i: int) -> None:
        with httpx.Client(base_url=toy.url, timeout=30) as c:
            start.wait()
            results.append(c.post("/embed", json={"text": f"python {i}"}).status_code)

    threads = [threading.Thread(target=embed, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8
    context = toy.app.state.hyperflow_context
    assert context.endpoints["embed"].batcher.calls < 8  # coalesced (max_wait_ms=50)
    assert context.endpoints["query_document"].batcher is None  # not batchable


def test_load_gives_a_method_per_endpoint_sharing_the_served_state(toy: Running) -> None:
    doc = _upload(toy.client).json()["result"]["document_id"]
    svc = hf.registry.load("toy@production")
    assert isinstance(svc, hf.registry.ServiceClient)
    assert svc.query_document(document_id=doc, query="bread oven")["answer"].startswith("bread")
    assert svc.call("embed", {"text": "python"})[0] == 1.0
    with pytest.raises(hf.RegistryError, match="did you mean 'embed'"):
        svc.call("embedd", {"text": "x"})
    with pytest.raises(AttributeError, match="endpoints"):
        svc.predict  # noqa: B018


def test_two_servers_on_one_store_share_the_state(
    serve_app: Callable[..., Running], store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERFLOW_STORE", store_url)
    register_toy()
    a = serve_app(create_app("toy@production", poll_interval_s=None))
    b = serve_app(create_app("toy@production", poll_interval_s=None))
    doc = _upload(a.client).json()["result"]["document_id"]
    answer = b.client.post("/query_document", json={"document_id": doc, "query": "python"})
    assert answer.status_code == 200 and "python" in answer.json()["result"]["answer"]


def test_a_moved_alias_is_served_and_other_endpoints_are_refused(
    serve_app: Callable[..., Running],
) -> None:
    from tests.serve.toy_service import toy_embed_only

    v1 = register_toy()
    srv = serve_app(create_app("toy@production", poll_interval_s=0.05, admin_token="s3cret"))
    v2 = register_toy()  # the alias moves; the poller picks it up
    deadline = time.monotonic() + 30
    while srv.client.get("/version").json()["version"] != v2:
        assert time.monotonic() < deadline, "the moved alias was not picked up"
        time.sleep(0.02)
    assert srv.client.post("/embed", json={"text": "bread"}).json()["version"] == v2
    with hf.start_run("other") as run:
        run.log_artifact(3, "dims")
    other = hf.registry.register("toy", run_id=run.id, predict=toy_embed_only, artifacts=["dims"])
    hf.registry.set_alias("toy", "production", other.version)
    refused = srv.client.post("/admin/reload", headers={"Authorization": "Bearer s3cret"})
    assert refused.status_code == 409 and "other endpoints" in refused.json()["detail"]
    assert srv.client.get("/version").json()["version"] == v2
    assert v1 != v2


def test_an_input_with_a_default_is_optional_and_documented() -> None:
    from fastapi.testclient import TestClient

    import hyperflow as hf
    from tests.serve.greet_service import greet

    with hf.start_run("greet") as run:
        run.log_metric("ok", 1.0)
    version = hf.registry.register("greet", run_id=run.id, predict=greet, artifacts=[]).version
    hf.registry.set_alias("greet", "production", version)
    with TestClient(create_app("greet@production", poll_interval_s=None)) as client:
        schema = client.get("/openapi.json").json()["components"]["schemas"]["HelloRow"]
        assert schema["required"] == ["name"]
        assert schema["properties"]["punctuation"]["default"] == "!"
        assert client.post("/hello", json={"name": "ada"}).json()["result"] == "hello ada!"
        asked = client.post("/hello", json={"name": "ada", "punctuation": "?"})
        assert asked.json()["result"] == "hello ada?"

"""The docqa service served: uploads, queries, bad input, a restart, deletion, logs and drift.

``hyperflow serve docs@production`` runs as a real process (and as uvicorn in a thread
where a test needs many requests); the documents live in the project's store.
"""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from examples.docqa.service import register

import hyperflow as hf
from hyperflow.monitor import MonitorConfig
from hyperflow.serve import create_app
from tests.examples.test_docqa import TEXT, make_pdf
from tests.serve.conftest import Running
from tests.serve.processes import ServeProcess, cli_env

BEST = {"chunks": "heading", "retriever": "bm25"}


class Served(ServeProcess):
    """``hyperflow serve docs@production`` in a process, on a socket bound here first,
    ready when this returns; ``client`` talks to it."""

    def __init__(self, cwd: Path) -> None:
        super().__init__(["docs@production"], cwd, cli_env(trusted=None))
        self.client = httpx.Client(base_url=self.url, timeout=30)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if self.client.get("/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)  # polling readiness, not synchronising
        raise AssertionError("hyperflow serve did not get ready:\n" + "\n".join(self.lines))

    def stop(self) -> int:
        self.client.close()
        code = super().stop()
        assert code == 0, "\n".join(self.lines)
        return code


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "hyperflow.toml").write_text('name = "docqa"\n')
    register(BEST, monitor_queries=False)
    return tmp_path


def _upload(client: httpx.Client, name: str, data: bytes) -> httpx.Response:
    return client.post("/upload_document", files={"file": (name, data)})


def _ask(client: httpx.Client, doc: str, query: str, fmt: str = "json") -> httpx.Response:
    body = {"document_id": doc, "query": query, "output_format": fmt}
    return client.post("/query_document", json=body)


def _locked_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(make_pdf("secret words")))
    writer.encrypt("pw", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _blank_pdf() -> bytes:
    from pypdf import PdfWriter

    blank = PdfWriter()
    blank.add_blank_page(612, 792)
    buf = io.BytesIO()
    blank.write(buf)
    return buf.getvalue()


def _documents() -> hf.ServiceState:
    return hf.ServiceState("docs")


@pytest.mark.slow
def test_served_uploads_answer_in_each_format_and_outlive_a_restart(project: Path) -> None:
    server = Served(project)
    try:
        md = _upload(server.client, "guide.md", TEXT.encode())
        pdf = _upload(server.client, "walrus.pdf", make_pdf("The walrus operator assigns"))
        assert md.status_code == pdf.status_code == 200, (md.text, pdf.text)
        doc, pdf_id = md.json()["result"]["document_id"], pdf.json()["result"]["document_id"]
        assert md.json()["result"]["passages"] == 3  # intro, Loops, Errors (heading chunks)
        found = _ask(server.client, doc, "what always runs after a try?").json()["result"]
        assert "Finally always runs" in found["answer"]["passages"][0]["text"]
        assert "query_embedding" not in found  # registered with monitor_queries=False
        table = _ask(server.client, "*", "walrus operator", "table").json()["result"]["answer"]
        assert table.splitlines()[2].startswith("| 1 | walrus.pdf |")
        markdown = _ask(server.client, doc, "break the loop", "markdown").json()["result"]
        assert markdown["answer"].startswith("**break the loop**") and "Loops" in markdown["answer"]
    finally:
        server.stop()
    server = Served(project)  # a new process: the documents are in the store
    try:
        again = _ask(server.client, pdf_id, "walrus").json()["result"]["answer"]
        assert again["passages"][0]["source"] == "walrus.pdf"
        gone = server.client.post("/delete_document", json={"document_id": doc})
        assert gone.status_code == 200 and gone.json()["result"]["deleted"] is True
        missing = _ask(server.client, doc, "loops")
        assert missing.status_code == 404 and "unknown document_id" in missing.text
    finally:
        server.stop()
    documents = _documents().collection("documents")
    assert documents.keys() == [pdf_id] and documents.chunks(doc) == []  # chunks went too
    uploads = hf.predictions.search("docs/upload_document")
    assert len(uploads) == 2  # every upload is logged: name, size and SHA-256, not the bytes
    logged = " ".join(map(str, uploads["inputs"]))
    assert "guide.md" in logged and hashlib.sha256(TEXT.encode()).hexdigest() in logged


BAD_UPLOADS: list[tuple[str, bytes | None, int, str]] = [
    ("notes.exe", b"MZ\x90", 422, "unsupported file type '.exe'"),
    ("empty.txt", b"", 422, "empty"),
    ("scan.pdf", None, 422, "no extractable text"),
    ("locked.pdf", None, 422, "encrypted PDF"),
    ("big.txt", b"a" * (20 * 1024 * 1024 + 1), 413, "exceeds 20971520 bytes"),
]
BAD_REQUESTS: list[tuple[str, dict[str, str], int, str]] = [
    ("/query_document", {"document_id": "0123"}, 404, "unknown document_id '0123'"),
    ("/query_document", {"query": "   "}, 422, "query is empty"),
    ("/query_document", {"output_format": "html"}, 422, "output_format must be one of"),
    ("/delete_document", {"document_id": "nope"}, 404, "unknown document_id 'nope'"),
]


def test_bad_input_gets_a_4xx_naming_the_problem_and_stores_nothing(project: Path) -> None:
    srv = Running(create_app("docs@production", poll_interval_s=None))
    try:
        doc = _upload(srv.client, "guide.md", TEXT.encode()).json()["result"]["document_id"]
        pdfs = {"scan.pdf": _blank_pdf(), "locked.pdf": _locked_pdf()}
        for name, data, status, message in BAD_UPLOADS:
            answer = _upload(srv.client, name, pdfs[name] if data is None else data)
            assert (answer.status_code, message in answer.text) == (status, True), answer.text
        for route, fields, status, message in BAD_REQUESTS:
            query = {"document_id": doc, "query": "loops", "output_format": "json"}
            body = {**query, **fields} if route == "/query_document" else fields
            answer = srv.client.post(route, json=body)
            assert (answer.status_code, message in answer.text) == (status, True), answer.text
    finally:
        srv.stop()
    documents = _documents().collection("documents")
    assert documents.keys() == [doc]  # nothing half-ingested
    assert len(documents.chunks()) == 3


def test_concurrent_uploads_neither_lose_nor_duplicate_a_document(project: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    files = [
        (f"n{i}.md", f"# Note {i}\n\nbody {i}\n\n# More\n\ntail {i}".encode()) for i in range(4)
    ]
    srv = Running(create_app("docs@production", poll_interval_s=None))
    try:
        with ThreadPoolExecutor(8) as pool:  # each file twice, all at once
            answers = list(pool.map(lambda f: _upload(srv.client, *f), files + files))
    finally:
        srv.stop()
    assert [a.status_code for a in answers] == [200] * 8
    ids = {a.json()["result"]["document_id"] for a in answers}
    documents = _documents().collection("documents")
    assert sorted(documents.keys()) == sorted(ids) and len(ids) == 4
    assert all(len(documents.chunks(i)) == 2 for i in ids)  # one copy of each passage


# -- query topics watched for drift ------------------------------------------------------------
CODE = ["function", "class", "module", "import", "exception", "loop", "variable", "decorator"]
FOOD = ["bread", "flour", "oven", "dough", "butter", "sugar", "recipe", "cake"]


@pytest.fixture
def vectors(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    """MiniLM query vectors kept in pytest's cache folder, so later runs reuse them."""
    folder = Path(request.config.cache.mkdir("docqa-vectors"))
    monkeypatch.setenv("DOCQA_VECTORS", str(folder))
    return folder


def _queries(srv: Running, words: list[str], n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(n):
        query = "how do I use " + " ".join(rng.choice(words, size=3, replace=False))
        answer = _ask(srv.client, "*", query)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["result"]["query_embedding"]) == 384


@pytest.mark.slow
def test_a_shift_in_query_topics_is_flagged_by_mmd_on_logged_embeddings(
    tmp_path: Path, vectors: Path
) -> None:
    (tmp_path / "hyperflow.toml").write_text('name = "docqa"\n')
    register(BEST)  # query embeddings logged (the default)
    srv = Running(create_app("docs@production", poll_interval_s=None))
    try:
        assert _upload(srv.client, "guide.md", TEXT.encode()).status_code == 200
        _queries(srv, CODE, 60, seed=0)  # the reference: the first logged requests
        _queries(srv, CODE, 30, seed=1)
    finally:
        srv.stop()  # flushes the log
    cfg = MonitorConfig(
        reference_rows=60,
        calibration_windows=30,
        exclude=["query", "document_id", "output_format", "output.answer"],
    )
    same = hf.monitor.check("docs@production", endpoint="query_document", last=30, config=cfg)
    assert same.drift is not None
    kept = same.drift.columns["output.query_embedding"]
    assert (kept.test, kept.drifted) == ("mmd", False)
    srv = Running(create_app("docs@production", poll_interval_s=None))
    try:
        _queries(srv, FOOD, 30, seed=2)
    finally:
        srv.stop()
    shifted = hf.monitor.check("docs@production", endpoint="query_document", last=30, config=cfg)
    assert shifted.drift is not None
    moved = shifted.drift.columns["output.query_embedding"]
    assert (moved.test, moved.drifted) == ("mmd", True)
    assert shifted.figures["drift.alarm"] == 1.0


@pytest.mark.slow
def test_a_minilm_service_stores_passage_vectors_in_the_state_at_upload(
    tmp_path: Path, vectors: Path
) -> None:
    (tmp_path / "hyperflow.toml").write_text('name = "docqa"\n')
    register({"chunks": "heading", "retriever": "dense"}, monitor_queries=False)
    srv = Running(create_app("docs@production", poll_interval_s=None))
    try:
        doc = _upload(srv.client, "guide.md", TEXT.encode()).json()["result"]["document_id"]
        stored = _documents().collection("vectors")
        assert len(stored) == 3  # one vector per passage, as float32 bytes
        first = stored.get(stored.keys()[0])
        assert first is not None and first.data is not None and len(first.data) == 384 * 4
        found = _ask(srv.client, doc, "what always runs after a try?").json()["result"]
        assert "Finally always runs" in found["answer"]["passages"][0]["text"]
    finally:
        srv.stop()

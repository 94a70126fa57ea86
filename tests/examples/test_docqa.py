"""The docqa example: parsing, chunking, stores, retrievers, answers and its two pipelines."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from examples.docqa import documents as docs_mod
from examples.docqa import ingest, query
from examples.docqa.answer import chat_request, check_format, render_passages
from examples.docqa.chunking import fixed, heading, sections, sentences
from examples.docqa.documents import Chunk, Document, DocumentError, parse_document
from examples.docqa.retrieval import BM25Retriever, HybridRetriever, Retriever, TfidfRetriever
from examples.docqa.service import StateDocumentStore, StateVectorCache
from examples.docqa.store import (
    DirectoryDocumentStore,
    DocumentStore,
    MemoryDocumentStore,
    UnknownDocumentError,
)
from examples.docqa.vectors import DirectoryVectorCache, MemoryVectorCache, VectorCache, embed

import hyperflow as hf


def make_pdf(text: str) -> bytes:
    """A one-page PDF whose page draws ``text`` (Helvetica), with a valid xref table."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


# -- parsing -------------------------------------------------------------------------------------
def test_text_markdown_and_pdf_are_read() -> None:
    assert parse_document(b"plain words", "a.txt").text == "plain words"
    md = parse_document(b"# Title\n\nBody.", "notes.MD")
    assert (md.kind, md.name) == ("markdown", "notes.MD")
    pdf = parse_document(make_pdf("Context managers wrap a block"), "guide.pdf")
    assert pdf.kind == "pdf" and "Context managers wrap a block" in pdf.text
    assert parse_document(b"same", "x.txt").id == parse_document(b"same", "y.txt").id


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"x", "sheet.xlsx", "unsupported file type '.xlsx'"),
        (b"x", "README", "unsupported file type '(no suffix)'"),
        (b"", "a.txt", "is empty (0 bytes)"),
        (b"  \n\t ", "a.md", "only whitespace"),
        (b"\xff\xfe\x00bad", "a.txt", "is not UTF-8"),
        (b"not a pdf at all", "a.pdf", "is not a readable PDF"),
        (b"x", "", "a filename is required"),
    ],
)
def test_bad_files_are_refused_with_the_reason(data: bytes, name: str, message: str) -> None:
    with pytest.raises(DocumentError, match=re.escape(message)):
        parse_document(data, name)


def test_encrypted_and_textless_pdfs_are_refused() -> None:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(make_pdf("secret words")))
    writer.encrypt("pw", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(DocumentError, match="encrypted PDF"):
        parse_document(buf.getvalue(), "locked.pdf")
    blank = PdfWriter()
    blank.add_blank_page(612, 792)
    buf = io.BytesIO()
    blank.write(buf)
    with pytest.raises(DocumentError, match="no extractable text"):
        parse_document(buf.getvalue(), "scan.pdf")


def test_oversized_files_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs_mod, "MAX_BYTES", 10)
    with pytest.raises(DocumentError, match="more than the limit of 10"):
        parse_document(b"x" * 11, "big.txt")


# -- chunking ------------------------------------------------------------------------------------
TEXT = (
    "Intro line one. Intro line two!\n\n"
    "# Loops\n\nA for loop walks an iterable. It may have an else clause.\n\n"
    "Break leaves the loop.\n\n"
    "Errors\n======\n\nA try statement handles errors. Finally always runs? Yes it does.\n"
)
DOC = Document(id="d1", name="guide.md", kind="markdown", text=TEXT)


def test_headings_of_both_styles_start_sections() -> None:
    titles = [t for t, _ in sections(TEXT)]
    assert titles == ["", "Loops", "Errors"]


def test_fixed_windows_respect_size_and_overlap() -> None:
    words = " ".join(f"w{i:03d}" for i in range(400))
    doc = Document(id="d", name="w.txt", kind="text", text=words)
    chunks = fixed([doc], size=400, overlap=200)
    assert all(len(c.text) <= 400 for c in chunks)
    assert chunks[0].text.split()[-1] in chunks[1].text  # consecutive windows overlap
    covered = {w for c in chunks for w in c.text.split()}
    assert covered == set(words.split())  # nothing is lost at the cuts
    assert len(fixed([doc], size=400, overlap=0)) < len(chunks)
    with pytest.raises(ValueError, match="overlap < size"):
        fixed([doc], size=400, overlap=400)


def test_heading_chunks_carry_their_section_title() -> None:
    chunks = heading([DOC], max_chars=800)
    by_section = {c.section: c.text for c in chunks}
    assert by_section["Loops"].startswith("Loops\n\nA for loop")
    assert "Break leaves the loop." in by_section["Loops"]
    assert by_section["Errors"].startswith("Errors")
    small = heading([DOC], max_chars=40)
    assert len(small) > len(chunks)


def test_sentence_windows_slide_by_stride() -> None:
    chunks = sentences([DOC], window=4, stride=2)
    assert chunks[0].text.startswith("Intro line one. Intro line two!")
    assert chunks[1].text.startswith("Loops A for loop walks an iterable.")  # two units on
    assert "======" not in " ".join(c.text for c in chunks)  # heading markup is dropped
    assert all(c.source == "guide.md" for c in chunks)


# -- the document store: one contract, two implementations ----------------------------------------
@pytest.fixture(params=["memory", "directory", "state-sqlite", "state-postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> DocumentStore:
    if request.param == "memory":
        return MemoryDocumentStore()
    if request.param == "directory":
        return DirectoryDocumentStore(tmp_path / "docs")
    return StateDocumentStore(_state(request, tmp_path))


def _state(request: pytest.FixtureRequest, tmp_path: Path) -> hf.ServiceState:
    """The state of service ``docs`` on SQLite or PostgreSQL (by the param's suffix)."""
    if str(request.param).endswith("postgresql"):
        return hf.ServiceState("docs", store=request.getfixturevalue("postgres_url"))
    return hf.ServiceState("docs", store=f"sqlite:///{tmp_path}/state.db")


def _doc(i: str) -> tuple[Document, list[Chunk]]:
    d = Document(id=f"doc{i}", name=f"{i}.txt", kind="text", text=f"text {i}")
    return d, [Chunk(f"part {i} {k}", d.name, k) for k in range(3)]


def test_store_contract(store: DocumentStore) -> None:
    rev0 = store.revision
    for i in "ab":
        store.put(*_doc(i))
    assert store.ids() == ["doca", "docb"]
    assert [c.text for c in store.chunks("doca")] == ["part a 0", "part a 1", "part a 2"]
    assert len(store.chunks("*")) == 6
    assert store.revision != rev0
    store.put(*_doc("a"))  # the same id again replaces, never duplicates
    assert len(store.chunks("*")) == 6
    rev1 = store.revision
    store.delete("doca")
    assert store.revision != rev1
    assert store.ids() == ["docb"] and len(store.chunks("*")) == 3
    with pytest.raises(UnknownDocumentError, match="did you mean 'docb'"):
        store.chunks("docc")
    with pytest.raises(UnknownDocumentError, match="unknown document_id"):
        store.delete("doca")


def test_directory_store_survives_a_restart(tmp_path: Path) -> None:
    DirectoryDocumentStore(tmp_path).put(*_doc("a"))
    assert [c.start for c in DirectoryDocumentStore(tmp_path).chunks("doca")] == [0, 1, 2]
    assert not list(tmp_path.glob("*.tmp"))  # written whole, then renamed


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_state_store_is_shared_by_processes_and_survives_a_restart(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        request.getfixturevalue("postgres_url")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path}/state.db"
    )
    one, two = (StateDocumentStore(hf.ServiceState("docs", store=url)) for _ in range(2))
    one.put(*_doc("a"))
    assert [c.text for c in two.chunks("*")] == ["part a 0", "part a 1", "part a 2"]
    two.put(*_doc("b"))  # a write by another server: the first one's cached read is stale
    assert len(one.chunks("*")) == 6
    one.delete("doca")
    assert two.ids() == ["docb"]
    vectors = StateVectorCache(hf.ServiceState("docs", store=url))
    vectors.put("k", np.arange(4, dtype=np.float32))
    again = StateVectorCache(hf.ServiceState("docs", store=url)).get("k")
    assert again is not None and again.tolist() == [0.0, 1.0, 2.0, 3.0]


# -- vector cache ----------------------------------------------------------------------------------
class HashingEncoder:
    """A deterministic bag-of-words encoder that counts the texts it encodes."""

    def __init__(self) -> None:
        self.encoded = 0

    def encode(self, sentences: list[str], batch_size: int = 32) -> np.ndarray:
        self.encoded += len(sentences)
        out = np.zeros((len(sentences), 64), dtype=np.float32)
        for row, text in enumerate(sentences):
            for word in text.lower().split():
                out[row, sum(map(ord, word)) % 64] += 1.0
        return out


@pytest.fixture(params=["memory", "directory", "state-sqlite", "state-postgresql"])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> VectorCache:
    if request.param == "memory":
        return MemoryVectorCache()
    if request.param == "directory":
        return DirectoryVectorCache(tmp_path)
    return StateVectorCache(_state(request, tmp_path))


def test_vectors_are_cached_by_content(cache: VectorCache) -> None:
    enc = HashingEncoder()
    first = [Chunk("alpha beta", "a"), Chunk("gamma", "a")]
    v1 = embed([c.text for c in first], [c.digest for c in first], cache, enc)
    assert enc.encoded == 2 and np.allclose(np.linalg.norm(v1, axis=1), 1.0)
    # another chunking cuts one passage again: only the new one is encoded
    second = [Chunk("gamma", "b"), Chunk("delta", "b")]
    v2 = embed([c.text for c in second], [c.digest for c in second], cache, enc)
    assert enc.encoded == 3
    assert np.allclose(v2[0], v1[1])


# -- retrievers ------------------------------------------------------------------------------------
PASSAGES = [
    Chunk("The with statement calls __enter__ and __exit__ of a context manager.", "with"),
    Chunk("A for loop iterates over the items of an iterable; else runs when exhausted.", "for"),
    Chunk("Raise an exception with raise; chain it with raise from.", "raise"),
]


@pytest.mark.parametrize("make", [TfidfRetriever, BM25Retriever])
def test_sparse_retrievers_rank_the_matching_passage_first(make: type[Retriever]) -> None:
    r = make(PASSAGES)
    hits = r.search("context manager enter exit", k=2)
    assert hits[0].chunk.source == "with"
    assert [h.rank for h in hits] == [1, 2] and hits[0].score >= hits[1].score
    assert r.search("iterate items of a loop", k=10)[0].chunk.source == "for"
    assert len(r.search("anything", k=10)) == 3


def test_reciprocal_rank_fusion_adds_inverse_ranks() -> None:
    class Fixed(Retriever):
        def __init__(self, scores: list[float]) -> None:
            super().__init__(PASSAGES)
            self._s = np.asarray(scores)

        def scores(self, query: str) -> np.ndarray:
            return self._s

    fused = HybridRetriever([Fixed([3, 2, 1]), Fixed([1, 3, 2])], k_rrf=10)
    expected = [1 / 11 + 1 / 13, 1 / 12 + 1 / 11, 1 / 13 + 1 / 12]
    assert np.allclose(fused.scores("q"), expected)
    assert [h.chunk.source for h in fused.search("q", 3)] == ["for", "with", "raise"]


# -- answers -----------------------------------------------------------------------------------------
def _hits() -> list:
    return BM25Retriever(PASSAGES).search("context manager", k=2)


def test_answers_render_in_three_formats_with_sources_and_scores() -> None:
    hits = _hits()
    md = render_passages("q?", hits, "markdown")
    assert isinstance(md, str) and "**Sources**" in md and "`with`" in md and "score" in md
    js = render_passages("q?", hits, "json")
    assert isinstance(js, dict) and js["passages"][0]["source"] == "with"
    assert json.loads(json.dumps(js))["answer"] == PASSAGES[0].text
    table = render_passages("q?", hits, "table")
    assert isinstance(table, str) and table.splitlines()[0].startswith("| rank | source")
    assert len(table.splitlines()) == 2 + len(hits)
    with pytest.raises(ValueError, match="did you mean 'json'"):
        check_format("jsno")


def test_generator_request_is_grounded_in_the_passages() -> None:
    req = chat_request(
        "What calls __exit__?", _hits(), base_url="http://llm.local/v1/", api_key="k", model="m"
    )
    assert req.url == "http://llm.local/v1/chat/completions"
    assert req.headers["Authorization"] == "Bearer k"
    assert req.body["model"] == "m" and req.body["temperature"] == 0
    user = req.body["messages"][-1]["content"]
    assert "[1] (with) The with statement" in user and user.endswith(
        "Question: What calls __exit__?"
    )
    assert (
        "Authorization"
        not in chat_request("q", [], base_url="http://x", api_key="", model="m").headers
    )
    with pytest.raises(ValueError, match="DOCQA_LLM_URL"):
        chat_request("q", [], base_url="", api_key="", model="m")


# -- the two pipelines -----------------------------------------------------------------------------
def test_pipelines_have_the_service_inputs() -> None:
    assert set(ingest.inputs) == {"file", "filename", "store"}
    assert set(query.inputs) == {"document_id", "query", "output_format", "store", "vectors"}
    assert query.space["retriever"].domain.options == ("tfidf", "bm25", "dense", "hybrid")  # type: ignore[attr-defined]
    assert ingest.space["chunks"].domain.options == ("fixed", "heading", "sentences")  # type: ignore[attr-defined]


def _upload(store: DocumentStore, data: bytes, name: str, chunker: str = "heading") -> str:
    r = ingest.run(
        inputs={"file": data, "filename": name, "store": store},
        config={"chunks": chunker},
        track=False,
        cache=False,
    )
    return str(r["document_id"])


def _ask(
    store: DocumentStore, doc: str, q: str, fmt: str = "json", retriever: str = "bm25"
) -> object:
    r = query.run(
        inputs={"document_id": doc, "query": q, "output_format": fmt, "store": store},
        config={"retriever": retriever},
        track=False,
        cache=False,
    )
    return r["answer"]


@pytest.mark.parametrize("chunker", ["fixed", "heading", "sentences"])
def test_upload_then_query_finds_the_passage(chunker: str) -> None:
    store = MemoryDocumentStore()
    doc = _upload(store, TEXT.encode(), "guide.md", chunker)
    pdf = _upload(
        store, make_pdf("The walrus operator assigns inside expressions"), "w.pdf", chunker
    )
    answer = _ask(store, doc, "what always runs after a try?")
    assert isinstance(answer, dict) and "Finally always runs" in answer["passages"][0]["text"]
    both = _ask(store, "*", "walrus operator", retriever="tfidf")
    assert isinstance(both, dict) and both["passages"][0]["source"] == "w.pdf"
    assert store.ids() == [doc, pdf]


def _fails(cause: type[Exception], match: str, call: object, *args: object) -> None:
    with pytest.raises(hf.NodeError, match=match) as info:
        call(*args)  # type: ignore[operator]
    assert isinstance(info.value.__cause__, cause)


def test_bad_requests_fail_with_a_message_and_leave_nothing_behind() -> None:
    store = MemoryDocumentStore()
    _fails(DocumentError, "unsupported file type '.exe'", _upload, store, b"x", "a.exe")
    _fails(DocumentError, "0 bytes", _upload, store, b"", "a.txt")
    assert store.ids() == []  # nothing half-ingested
    doc = _upload(store, TEXT.encode(), "guide.md")
    _fails(UnknownDocumentError, "unknown document_id", _ask, store, doc[:-1] + "x", "loops")
    _fails(ValueError, "query is empty", _ask, store, doc, "   ")
    _fails(ValueError, "output_format must be one of", _ask, store, doc, "loops", "html")


def test_a_study_config_splits_into_the_keys_each_pipeline_reads() -> None:
    from examples.docqa import ingest_config, query_config

    best = {
        "chunks": "fixed",
        "chunks.fixed.size": 400,
        "retriever": "bm25",
        "retriever.bm25.k1": 1.4,
    }
    assert ingest_config(best) == {"chunks": "fixed", "chunks.fixed.size": 400}
    assert query_config(best) == {"retriever": "bm25", "retriever.bm25.k1": 1.4}
    ingest.run(
        inputs={"file": b"some words here", "filename": "a.txt", "store": MemoryDocumentStore()},
        config=ingest_config(best),
        track=False,
    )


# -- hyperflow init --template docqa -------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[2]


def test_the_docqa_template_ships_the_current_example() -> None:
    from hyperflow.cli._scaffold import bundle_template

    shipped = json.loads((ROOT / "src/hyperflow/cli/templates/docqa.json").read_text("utf-8"))
    assert shipped == bundle_template(ROOT / "examples" / "docqa"), (
        "regenerate the bundle: python -m hyperflow.cli._scaffold examples/docqa"
    )


@pytest.mark.slow
def test_init_template_docqa_creates_a_project_whose_test_passes(tmp_path: Path) -> None:
    import subprocess
    import sys

    from hyperflow.cli import main

    assert main(["init", "qa-demo", "--template", "docqa"]) == 0
    project = tmp_path / "qa-demo"
    assert 'train = "qa_demo.pipeline:evaluate"' in (project / "pyproject.toml").read_text()
    assert "examples.docqa" not in (project / "qa_demo" / "pipeline.py").read_text()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert main(["init", "qa-demo2", "--template", "rag"]) == 1  # unknown template: refused

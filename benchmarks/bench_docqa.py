"""The docqa example over the whole pydoc corpus (79 topics, ~465k characters).

Run: ``python benchmarks/bench_docqa.py [--chunks heading] [--repeat 3]`` from the repository
root (needs the ``docqa`` and ``bench`` extras). Reports, in one run:

* ingest throughput (characters/s): each topic uploaded through the ``ingest`` pipeline
  (parse, chunk, store), then MiniLM encoding of the passages apart (chars/s, cold
  passages only; cached ones are read back);
* query latency p50/p95 per retriever, in-process (``query.run(..., outputs="hits")``:
  retrieval without the answer step, and with it), over every labelled question against
  ``document_id="*"``;
* the same over HTTP (``--http``): each retriever's configuration registered as the
  ``docs`` service (``examples.docqa.service.register``), served by ``hyperflow serve`` in
  its own process, the corpus uploaded through ``POST /upload_document`` (ingest rate
  over HTTP), every question sent to ``POST /query_document`` (``output_format`` json,
  the extractive answer; query-embedding logging off) — p50/p95 and the ratio to the
  in-process figure with the answer step (the peer);
* ``bm25s`` (the example's BM25) vs a ``rank-bm25`` ``BM25Okapi`` loop on the same passages
  and tokens: index time, per-query time, ratio, and whether their top-10 agree;
* recall@5 (and MRR) per retriever on the held-out questions.

What is timed: in-process, ``retrieval`` is ``query.run(outputs="hits")`` (question check,
passage lookup, the built index, the query's MiniLM vector, similarity, top 5) and
``with_answer`` adds the extractive answer; over HTTP, the client's wall time of one
``POST /query_document`` (request, validation, the query pipeline with the extractive
answer, the prediction-log row, the JSON response), so it bounds retrieval alone from
above. The MiniLM query encoder is float unless ``DOCQA_QUERY_INT8=1`` (the server inherits
the setting); the report names it.

Targets (issue 18): p95 ≤ 30 ms for BM25 and MiniLM retrieval excluding the answer step.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def ingest_corpus(chunker: str) -> tuple[Any, dict[str, float]]:
    from pydoc_data.topics import topics

    from examples.docqa import ingest
    from examples.docqa.store import MemoryDocumentStore

    store = MemoryDocumentStore()
    chars = sum(len(v) for v in topics.values())
    t0 = time.perf_counter()
    for name, text in sorted(topics.items()):
        ingest.run(
            inputs={"file": text.encode(), "filename": f"{name}.txt", "store": store},
            config={"chunks": chunker},
            track=False,
            cache=False,
        )
    seconds = time.perf_counter() - t0
    return store, {
        "chars": chars,
        "seconds": seconds,
        "chars_per_s": chars / seconds,
        "passages": len(store.chunks("*")),
    }


def encode_rate(store: Any) -> dict[str, float]:
    from examples.docqa.vectors import MODEL, embed, vector_cache

    chunks = store.chunks("*")
    cache = vector_cache()
    cold = [c for c in chunks if cache.get(f"{MODEL}-{c.digest}") is None]
    t0 = time.perf_counter()
    embed([c.text for c in chunks], [c.digest for c in chunks], cache)
    seconds = time.perf_counter() - t0
    chars = sum(len(c.text) for c in cold)
    return {
        "cold_passages": len(cold),
        "seconds": seconds,
        "cold_chars_per_s": chars / seconds if cold else float("nan"),
    }


def latencies(store: Any, retriever: str, repeat: int) -> dict[str, float]:
    from examples.docqa import query
    from examples.docqa.evaluation import load_questions

    qs = [q.text for q in load_questions("all")]

    def run(text: str, outputs: str) -> None:
        query.run(
            inputs={"document_id": "*", "query": text, "output_format": "json", "store": store},
            config={"retriever": retriever},
            outputs=outputs,
            track=False,
            cache=False,
        )

    run(qs[0], "hits")  # builds the index (and loads MiniLM) once
    out: dict[str, float] = {}
    for outputs in ("hits", "answer"):
        times = []
        for _ in range(repeat):
            for text in qs:
                t0 = time.perf_counter()
                run(text, outputs)
                times.append((time.perf_counter() - t0) * 1000)
        key = "retrieval" if outputs == "hits" else "with_answer"
        out[f"{key}_p50_ms"], out[f"{key}_p95_ms"] = _pct(times, 50), _pct(times, 95)
    return out


def bm25_peer(store: Any) -> dict[str, Any]:
    import bm25s
    from examples.docqa.evaluation import load_questions
    from rank_bm25 import BM25Okapi

    texts = [c.text for c in store.chunks("*")]
    qs = [q.text for q in load_questions("all")]
    tokens = bm25s.tokenize(texts, stopwords="en", return_ids=False, show_progress=False)
    q_tokens = bm25s.tokenize(qs, stopwords="en", return_ids=False, show_progress=False)
    t0 = time.perf_counter()
    ours = bm25s.BM25(k1=1.2, b=0.75)
    ours.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    ours_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    peer = BM25Okapi(tokens, k1=1.2, b=0.75)
    peer_index = time.perf_counter() - t0
    ours_top, peer_top = [], []
    t0 = time.perf_counter()
    for q in q_tokens:
        ours_top.append(set(np.argsort(-ours.get_scores(q))[:10]))
    ours_q = (time.perf_counter() - t0) / len(qs) * 1000
    t0 = time.perf_counter()
    for q in q_tokens:
        peer_top.append(set(np.argsort(-peer.get_scores(q))[:10]))
    peer_q = (time.perf_counter() - t0) / len(qs) * 1000
    overlap = np.mean([len(a & b) / 10 for a, b in zip(ours_top, peer_top, strict=True)])
    return {
        "passages": len(texts),
        "bm25s_index_s": ours_index,
        "rank_bm25_index_s": peer_index,
        "bm25s_query_ms": ours_q,
        "rank_bm25_query_ms": peer_q,
        "query_speedup": peer_q / ours_q,
        "top10_overlap": float(overlap),
    }


def _served(name: str, cwd: str) -> tuple[Any, Any]:
    """``hyperflow serve NAME@production`` in a process on a socket bound here; its client."""
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    import httpx

    root = Path(__file__).resolve().parents[1]
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(root / "src")]))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hyperflow",
            "serve",
            f"{name}@production",
            "--fd",
            str(sock.fileno()),
            "--log-level",
            "warning",
        ],
        cwd=cwd,
        env=env,
        pass_fds=[sock.fileno()],
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=120)
    sock.close()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if client.get("/ready").status_code == 200:
                return proc, client
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"hyperflow serve {name}@production did not get ready")


def http_latencies(chunks: str, retriever: str, repeat: int) -> dict[str, float]:
    """Register ``chunks`` × ``retriever`` as a service, upload the corpus and query it over
    HTTP (a fresh project folder; MiniLM vectors come from the ``DOCQA_VECTORS`` folder)."""
    import os
    import signal
    import tempfile
    from pathlib import Path
    from pydoc_data.topics import topics

    from examples.docqa.evaluation import load_questions
    from examples.docqa.service import register

    os.environ.setdefault("DOCQA_VECTORS", str(Path(".hyperflow/docqa-vectors").resolve()))
    os.environ["HYPERFLOW_TRUSTED_MODULES"] = "examples"
    here = os.getcwd()
    folder = tempfile.mkdtemp(prefix="bench-docqa-")
    os.chdir(folder)
    try:
        Path("hyperflow.toml").write_text('name = "bench-docqa"\n')
        name = f"docs-{retriever}"
        register({"chunks": chunks, "retriever": retriever}, name=name, monitor_queries=False)
        proc, client = _served(name, folder)
    finally:
        os.chdir(here)
    try:
        t0 = time.perf_counter()
        for topic, text in sorted(topics.items()):
            r = client.post("/upload_document", files={"file": (f"{topic}.txt", text.encode())})
            r.raise_for_status()
        upload_s = time.perf_counter() - t0
        qs = [q.text for q in load_questions("all")]
        body = {"document_id": "*", "output_format": "json"}
        client.post("/query_document", json={**body, "query": qs[0]}).raise_for_status()
        times = []
        for _ in range(repeat):
            for text in qs:
                t0 = time.perf_counter()
                client.post("/query_document", json={**body, "query": text}).raise_for_status()
                times.append((time.perf_counter() - t0) * 1000)
    finally:
        client.close()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    chars = sum(len(v) for v in topics.values())
    return {
        "http_p50_ms": _pct(times, 50),
        "http_p95_ms": _pct(times, 95),
        "http_upload_chars_per_s": chars / upload_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", default="heading", choices=["fixed", "heading", "sentences"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--retrievers", default="tfidf,bm25,dense,hybrid")
    parser.add_argument("--http", action="store_true", help="also query the served service")
    args = parser.parse_args()
    import os

    from examples.docqa.study import held_out

    int8 = os.environ.get("DOCQA_QUERY_INT8", "0") in ("1", "true", "yes", "on")
    report: dict[str, Any] = {
        "chunks": args.chunks,
        "http": args.http,
        "query_encoder": "int8" if int8 else "float",
    }
    store, report["ingest"] = ingest_corpus(args.chunks)
    names = args.retrievers.split(",")
    if {"dense", "hybrid"} & set(names):
        report["encode"] = encode_rate(store)
    report["bm25s_vs_rank_bm25"] = bm25_peer(store)
    for name in names:
        m = held_out({"chunks": args.chunks, "retriever": name})
        report[name] = {
            **latencies(store, name, args.repeat),
            "heldout_recall_at_5": m["recall_at_5"],
            "heldout_mrr": m["mrr"],
        }
        if args.http:
            report[name].update(http_latencies(args.chunks, name, args.repeat))
            peer = report[name]["with_answer_p95_ms"]
            report[name]["http_vs_in_process_p95"] = report[name]["http_p95_ms"] / peer
        print(name, json.dumps(report[name]), flush=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

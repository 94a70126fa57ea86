"""`hyperflow serve --port P` binding the port itself, as a user runs it: keep-alive
responses are not held back by Nagle's algorithm, `--workers 2` spreads connections
over both workers, and a port in use is refused (never silently shared)."""

from __future__ import annotations

import socket
import statistics
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.serve.processes import ServeProcess, cli_env, free_port, register_demo, serve_once


def _ready(server: ServeProcess, workers: int) -> None:
    server.wait_for("hyperflow serve: demo 0.1.0")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # every worker has a model and answers
        text = httpx.get(server.url + "/metrics", timeout=10).text
        if text.count("hyperflow_model_info{") >= workers:
            return
        time.sleep(0.1)  # polling the server's state
    raise AssertionError("the workers did not all start:\n" + "\n".join(server.lines))


@pytest.mark.parametrize("workers", [1, 2])
def test_keep_alive_responses_are_not_held_for_the_delayed_ack(
    tmp_path: Path, workers: int
) -> None:
    """Without TCP_NODELAY every response after the first on a connection waits ~40 ms
    for the client's delayed ACK (the body is a second write after the headers)."""
    register_demo(tmp_path)
    server = ServeProcess(
        ["demo@production", "--workers", str(workers), "--no-access-log"],
        tmp_path, cli_env(), port=free_port(),
    )
    try:
        _ready(server, workers)
        took = []
        with httpx.Client(base_url=server.url, timeout=10) as client:  # one connection
            for i in range(25):
                start = time.perf_counter()
                assert client.post("/predict", json={"x": float(i), "group": "a"}).status_code == 200
                took.append(time.perf_counter() - start)
        assert statistics.median(took[1:]) < 0.030, [round(t * 1000, 1) for t in took]
    finally:
        server.stop()


def test_two_workers_share_the_connections_and_the_port_is_theirs(tmp_path: Path) -> None:
    register_demo(tmp_path)
    port = free_port()
    server = ServeProcess(["demo@production", "--workers", "2"], tmp_path, cli_env(), port=port)
    conns: list[socket.socket] = []
    try:
        _ready(server, 2)
        for _ in range(32):  # a burst of keep-alive connections, as a load balancer opens
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        for c in conns:
            c.sendall(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        for c in conns:
            assert c.recv(4096).startswith(b"HTTP/1.1 200")
        workers = psutil.Process(server.proc.pid).children(recursive=True)
        held = {
            w.pid: sum(1 for c in w.net_connections("tcp") if c.laddr.port == port and c.raddr)
            for w in workers
        }
        held = {pid: n for pid, n in held.items() if n}
        assert len(held) == 2 and min(held.values()) >= 4, held
        refused = serve_once(["demo@production", "--workers", "2", "--port", str(port)], tmp_path)
        assert refused.returncode != 0
        assert f"port {port} on 127.0.0.1 is already in use" in refused.stderr + refused.stdout
    finally:
        for c in conns:
            c.close()
        server.stop()

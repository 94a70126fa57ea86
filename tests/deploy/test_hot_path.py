"""Hot-path pieces made cheaper for serving: pooled run ids, a wake-free log queue."""

from __future__ import annotations

import os
import threading

from hyperflow.engine import new_run_id
from hyperflow.serve._writer import LogWriter
from hyperflow.store import InMemoryPredictionLog


def test_run_ids_are_unique_128_bit_hex_across_threads_and_forks() -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def draw() -> None:
        mine = [new_run_id() for _ in range(1000)]
        with lock:
            ids.extend(mine)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 4000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    new_run_id()  # the parent's pool now holds ids a child must not reuse
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next id and leave at once
        os.write(write, new_run_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    os.close(read)
    assert len(child) == 32 and child != new_run_id()


def test_a_full_batch_is_written_at_once_and_close_writes_the_rest() -> None:
    log = InMemoryPredictionLog()
    done = threading.Event()
    original = log.write

    def write(records: list) -> None:  # type: ignore[type-arg]
        original(records)
        done.set()

    log.write = write  # type: ignore[method-assign]
    writer = LogWriter(log, batch_size=3, flush_interval_s=3600.0, max_queue=10)
    writer.start()
    for i in range(3):
        writer.submit(f"r{i}", "m", "1.0.0", 0.0, 1.0, {"x": i}, i)
    assert done.wait(30)  # not the hour-long flush interval: the full batch woke the writer
    assert writer.written == 3 and writer.pending == 0
    writer.submit("r3", "m", "1.0.0", 0.0, 1.0, {"x": 3}, 3)
    writer.close()
    assert writer.written == 4 and writer.pending == 0
    for i in range(11):
        writer.submit(f"d{i}", "m", "1.0.0", 0.0, 1.0, {}, i)
    assert writer.dropped == 1 and writer.pending == 10

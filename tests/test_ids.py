"""The one id generator: run ids and request ids, unique across threads and forked workers."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

from hyperflow._ids import random_id
from hyperflow.engine import new_run_id
from hyperflow.serve._guards import new_request_id
from hyperflow.tracking._active import new_run_id as tracked_run_id


def _draw(conn: Connection) -> None:
    conn.send(random_id())


def test_ids_are_unique_across_threads_and_every_caller_uses_one_generator() -> None:
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda _: random_id(), range(5000)))
    ids += [new_run_id(), new_request_id(), tracked_run_id()]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_a_forked_worker_does_not_reuse_the_parents_pooled_ids() -> None:
    random_id()  # the parent now holds 255 unused pooled ids
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_draw, args=(child,))
    proc.start()
    from_child = parent.recv()
    proc.join(30)
    assert from_child != random_id()

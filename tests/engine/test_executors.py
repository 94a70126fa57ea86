"""Executors on a diamond whose branches must overlap: same results, one shared cache."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

import hyperflow as hf
from hyperflow.engine import DiskCache
from tests.engine.diamond_nodes import diamond

EXPECTED = {"left": 45, "right": 63}


def check_diamond(executor: Executor, tmp: Path) -> None:
    cache = DiskCache(tmp / "shared-cache")
    meet = tmp / "meet"
    meet.mkdir()
    inputs = {"x": 10, "meet": str(meet)}
    # the two branches overlap: each waits until the other has started (see diamond_nodes)
    r = diamond.run(inputs=inputs, executor=executor, cache=cache)
    assert r["sink"] == EXPECTED
    assert not any(r.cache_hits.values())
    assert sorted(p.name for p in meet.iterdir()) == ["left.started", "right.started"]
    # what the executor's workers computed is in the cache a sequential run reads: every
    # node is a hit (were a branch run again, alone, it would wait for the other and fail)
    for p in meet.iterdir():
        p.unlink()
    again = diamond.run(inputs=inputs, cache=cache)
    assert again["sink"] == EXPECTED and all(again.cache_hits.values())
    assert list(meet.iterdir()) == []  # no branch ran
    # results equal a sequential run's, and the executor hits what a sequential run stored
    seq = diamond.run(inputs={"x": 5}, cache=cache)
    fresh = diamond.run(inputs={"x": 5}, executor=executor, cache=False)
    hit = diamond.run(inputs={"x": 5}, executor=executor, cache=cache)
    assert fresh["sink"] == seq["sink"] == hit["sink"] == {"left": 10, "right": 28}
    assert not any(seq.cache_hits.values()) and all(hit.cache_hits.values())


def test_threads(tmp_path: Path) -> None:
    with ThreadPoolExecutor(4) as ex:
        check_diamond(ex, tmp_path)


def test_processes(tmp_path: Path) -> None:
    with ProcessPoolExecutor(2) as ex:
        check_diamond(ex, tmp_path)


def test_unpicklable_node_is_named_in_a_clear_error() -> None:
    offset = 3

    def shifted(x: int) -> int:  # a closure: a process cannot import it
        return x + offset

    p = hf.Pipeline([shifted], name="local")
    with ProcessPoolExecutor(1) as ex, pytest.raises(hf.NodeError) as info:
        p.run(inputs={"x": 1}, executor=ex, cache=False)
    assert info.value.node == "shifted"
    assert "'shifted' cannot be sent to a process executor" in str(info.value)
    assert "thread executor" in str(info.value)


@pytest.fixture(scope="module")
def dask_client() -> Iterator[object]:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.mark.slow
def test_dask_distributed(dask_client: object, tmp_path: Path) -> None:
    executor = dask_client.get_executor()  # type: ignore[attr-defined]
    executor.submit(int, 0).result()
    check_diamond(executor, tmp_path)

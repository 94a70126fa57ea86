"""Pages of a search sorted by a metric (the index walk, from either end) equal the pages
of the full sorted list, on both backends: ties, runs lacking the metric (last), filters."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from hyperflow.store import MetricPoint, RunRecord, SQLStore, _search

# value of metric "m" per run (None: the run never logged it); ties on purpose
VALUES = [0.5, None, 0.1, 0.9, 0.5, None, 0.3, 0.5, 0.7, None, 0.2, 0.9, 0.4]


@pytest.fixture
def store(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SQLStore]:
    monkeypatch.setattr(_search, "_FAR", 2)  # far pages from offset 2: both walks are used
    monkeypatch.setattr(_search, "_FAR_FILTERED", 3)
    s = SQLStore(store_url)
    now = time.time()
    for i, value in enumerate(VALUES):
        run_id = f"run{i:02d}"
        s.create_run(RunRecord(run_id=run_id, name=f"n{i % 4}", status="finished",
                               start_time=now + i, params={"odd": i % 2}))
        if value is not None:
            s.log_metrics(run_id, [MetricPoint("m", value, 0, now)])
    yield s
    s.close()


def _expected(order: str, odd_only: bool) -> list[str]:
    rows = [(f"run{i:02d}", f"n{i % 4}", v) for i, v in enumerate(VALUES)
            if not odd_only or i % 2]
    desc = order.startswith("-")
    with_m = [r for r in rows if r[2] is not None]
    with_m.sort(key=lambda r: r[0])
    if "name" in order:
        with_m.sort(key=lambda r: r[1])
    with_m.sort(key=lambda r: r[2] or 0.0, reverse=desc)
    lacking = sorted((r for r in rows if r[2] is None), key=lambda r: (r[1], r[0])
                     if "name" in order else r[0])
    return [r[0] for r in [*with_m, *lacking]]


@pytest.mark.parametrize("order", ["metrics.m", "-metrics.m", "-metrics.m,name"])
@pytest.mark.parametrize("odd_only", [False, True])
def test_every_page_of_a_metric_sort_is_a_slice_of_the_whole(
    store: SQLStore, order: str, odd_only: bool
) -> None:
    where = "params.odd = 1" if odd_only else None
    by = order.split(",")
    whole = [r.run_id for r in store.search_runs(where=where, order_by=by)]
    assert whole == _expected(order, odd_only)
    for size in (1, 2, 3, 5):
        for offset in range(len(whole) + 2):
            page = store.search_runs(where=where, order_by=by, limit=size, offset=offset)
            assert [r.run_id for r in page] == whole[offset : offset + size], (size, offset)


def test_a_page_carries_the_runs_data(store: SQLStore) -> None:
    page = store.search_runs(order_by="-metrics.m", limit=2, offset=1)
    assert [(r.run_id, r.metrics, r.params) for r in page] == [
        ("run11", {"m": 0.9}, {"odd": 1}), ("run08", {"m": 0.7}, {"odd": 0}),
    ]

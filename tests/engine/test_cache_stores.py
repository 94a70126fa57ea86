"""Conformance suite of the ``Cache`` contract, run against every implementation."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import hyperflow as hf
from hyperflow.engine import Cache, DiskCache, MemoryCache, fingerprint

Factory = Callable[..., Cache]
FACTORIES: dict[str, Factory] = {
    "memory": lambda max_bytes=None: MemoryCache(max_bytes=max_bytes),
    "disk": lambda max_bytes=None: DiskCache("d", max_bytes=max_bytes, touch_every_s=0),
}


@pytest.fixture(params=sorted(FACTORIES))
def make(request: pytest.FixtureRequest) -> Factory:
    return FACTORIES[request.param]


def k(i: int) -> str:
    return f"{i:032x}"


def put(cache: Cache, key: str, value: object) -> bool:
    return cache.save(key, value, fingerprint(value))


def test_save_lookup_load_round_trip(make: Factory) -> None:
    cache = make()
    value = {"a": np.arange(5), "b": [1, "x"]}
    assert cache.lookup(k(1)) is None and k(1) not in cache
    assert put(cache, k(1), value)
    assert cache.lookup(k(1)) == fingerprint(value)
    loaded = cache.load(k(1))
    assert loaded["b"] == [1, "x"] and np.array_equal(loaded["a"], value["a"])
    assert k(1) in cache and len(cache) == 1 and cache.total_bytes() > 0


def test_missing_key_raises_key_error(make: Factory) -> None:
    with pytest.raises(KeyError):
        make().load(k(9))


def test_loaded_values_are_independent_copies(make: Factory) -> None:
    cache = make()
    value = [1, 2]
    put(cache, k(1), value)
    value.append(3)
    first = cache.load(k(1))
    first.append(99)
    assert cache.load(k(1)) == [1, 2]


def test_overwrite_replaces_the_entry(make: Factory) -> None:
    cache = make()
    put(cache, k(1), "old")
    put(cache, k(1), "new")
    assert cache.load(k(1)) == "new" and cache.lookup(k(1)) == fingerprint("new")
    assert len(cache) == 1


@pytest.mark.parametrize("damage", ["truncate", "flip", "header", "empty"])
def test_corrupt_entry_is_logged_removed_and_never_returned(
    make: Factory, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    cache = make()
    put(cache, k(1), list(range(100)))
    blob = cache._read(k(1))
    assert blob is not None
    bad = {
        "truncate": blob[: len(blob) - 7],
        "flip": blob[:-1] + bytes([blob[-1] ^ 0xFF]),
        "header": b"XXXX" + blob[4:],
        "empty": b"",
    }[damage]
    cache._write(k(1), bad)
    with caplog.at_level(logging.WARNING, logger="hyperflow.cache"):
        if damage in ("header", "empty"):  # the cheap header lookup catches these
            assert cache.lookup(k(1)) is None
        else:  # the payload checks of load catch these
            with pytest.raises(KeyError):
                cache.load(k(1))
    assert "corrupt" in caplog.text
    assert cache.lookup(k(1)) is None  # removed


def test_an_entry_signed_with_another_key_is_refused_unread(
    make: Factory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = make()
    marker = tmp_path / "unpickled"
    other = MemoryCache()  # its own random key: what a forger without this cache's key has
    other.save(k(1), _Touch(str(marker)), "00" * 16)
    forged = other._read(k(1))
    assert forged is not None
    cache._write(k(1), forged)
    with caplog.at_level(logging.WARNING, logger="hyperflow.cache"):
        assert cache.lookup(k(1)) is None
        cache._write(k(1), forged)
        with pytest.raises(KeyError):
            cache.load(k(1))
    assert "not signed with this user's cache key" in caplog.text
    assert not marker.exists() and cache.lookup(k(1)) is None


class _Touch:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (Path(self.path),))


def test_unpicklable_value_is_not_cached(make: Factory) -> None:
    cache = make()
    lock = threading.Lock()
    assert cache.save(k(1), lock, "00" * 16) is False
    assert cache.lookup(k(1)) is None


def test_size_limit_evicts_least_recently_used(make: Factory) -> None:
    payload = bytes(1000)
    cache = make(max_bytes=3500)
    for i in range(3):
        put(cache, k(i), payload)
    assert cache.lookup(k(0)) is not None  # k(0) is now the most recently used
    put(cache, k(3), payload)
    assert cache.total_bytes() <= 3500
    assert cache.lookup(k(1)) is None  # least recently used went first
    assert all(cache.lookup(k(i)) is not None for i in (0, 2, 3))


def test_entry_larger_than_the_limit_is_skipped(make: Factory) -> None:
    cache = make(max_bytes=100)
    assert cache.save(k(1), bytes(1000), "00" * 16) is False
    assert len(cache) == 0


def test_delete_and_clear(make: Factory) -> None:
    cache = make()
    for i in range(3):
        put(cache, k(i), i)
    cache.delete(k(0))
    cache.delete(k(0))  # absent: no error
    assert cache.lookup(k(0)) is None and len(cache) == 2
    cache.clear()
    assert len(cache) == 0 and cache.total_bytes() == 0


def test_concurrent_writers_and_readers_see_whole_entries(make: Factory) -> None:
    cache = make()
    values = [list(range(i, i + 2000)) for i in range(8)]
    errors: list[BaseException] = []

    def work(j: int) -> None:
        try:
            for _ in range(20):
                put(cache, k(1), values[j])
                got = cache.load(k(1))
                assert got in values
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(j,)) for j in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_disk_recency_is_refreshed_at_most_every_touch_interval() -> None:
    cache = DiskCache("d", max_bytes=10**6, touch_every_s=3600)
    put(cache, k(1), 1)
    entry = Path("d") / k(1)[:2] / k(1)
    os.utime(entry, ns=(0, 0))  # a long-unused entry
    reader = DiskCache("d", max_bytes=10**6, touch_every_s=3600)  # e.g. another process
    assert reader.lookup(k(1)) is not None
    refreshed = entry.stat().st_mtime_ns
    assert refreshed > 0
    reader.load(k(1))
    reader.lookup(k(1))
    assert entry.stat().st_mtime_ns == refreshed  # fresh enough: no metadata write


def test_disk_hit_on_an_entry_removed_by_another_process_is_recomputed_in_a_run() -> None:
    calls: list[int] = []

    def f(x: int) -> int:
        calls.append(x)
        return x * 2

    p = hf.Pipeline([f], name="gone")
    cache = DiskCache("d")
    p.run(inputs={"x": 2}, cache=cache)
    DiskCache("d").clear()  # another instance (or process) empties the folder
    assert p.run(inputs={"x": 2}, cache=cache)["f"] == 4
    assert calls == [2, 2]


def test_disk_writes_leave_no_temporary_files() -> None:
    cache = DiskCache("d")
    for i in range(5):
        put(cache, k(i), i)
    files = [p for p in Path("d").rglob("*") if p.is_file()]
    assert len(files) == 5 and not any(p.name.startswith(".") for p in files)
    assert DiskCache("d").load(k(3)) == 3  # another instance (or process) reads it

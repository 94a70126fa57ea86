"""The response cache: one contract for the in-process LRU and Redis (a real
``redis-server``), repeated rows answered from it and still logged (marked) and counted,
a moved alias never answered from the old version, Redis shared by two apps, and a
cache outage costing a miss, not a failed request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

import hyperflow as hf
from hyperflow.serve import InMemoryPredictionLog, create_app
from hyperflow.serve._cache import (
    CACHED_SUFFIX,
    MemoryCache,
    RedisCache,
    ResponseCache,
    get_response_cache,
)
from tests.serve.models import MovableSource, batch_predictor, price_predictor
from tests.serve.redis_server import redis_server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[ResponseCache]:
    if request.param == "memory":
        cache: ResponseCache = MemoryCache(max_entries=1000)
    else:
        cache = RedisCache(request.getfixturevalue("redis_url"), prefix=f"t{id(request)}:")
    yield cache
    cache.close()


# -- the contract, for every backend ----------------------------------------------------


def test_backend_returns_what_was_put_under_the_same_scope_and_key(
    backend: ResponseCache,
) -> None:
    assert backend.get("m:1.0.0", "k") is None
    backend.put("m:1.0.0", "k", '{"a":1}')
    assert backend.get("m:1.0.0", "k") == '{"a":1}'
    assert backend.get("m:1.1.0", "k") is None and backend.get("m:1.0.0", "j") is None
    backend.put("m:1.0.0", "k", "2")  # a later put replaces
    assert backend.get("m:1.0.0", "k") == "2"


def test_backend_drop_forgets_one_scope_only(backend: ResponseCache) -> None:
    for i in range(30):
        backend.put("m:1.0.0", f"k{i}", str(i))
        backend.put("m:2.0.0", f"k{i}", str(-i))
    backend.drop("m:1.0.0")
    assert all(backend.get("m:1.0.0", f"k{i}") is None for i in range(30))
    assert [backend.get("m:2.0.0", f"k{i}") for i in range(30)] == [str(-i) for i in range(30)]


def test_backend_is_safe_from_many_threads(backend: ResponseCache) -> None:
    def work(t: int) -> None:
        for i in range(50):
            backend.put("s", f"{t}-{i}", f"{t * i}")
            assert backend.get("s", f"{t}-{i}") == f"{t * i}"

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def test_the_memory_lru_evicts_the_least_recently_used() -> None:
    cache = MemoryCache(max_entries=2)
    cache.put("s", "a", "1")
    cache.put("s", "b", "2")
    assert cache.get("s", "a") == "1"  # a is now the most recent
    cache.put("s", "c", "3")
    assert (cache.get("s", "a"), cache.get("s", "b"), cache.get("s", "c")) == ("1", None, "3")


def test_cache_urls_resolve_and_bad_ones_say_what_is_accepted(redis_url: str) -> None:
    assert get_response_cache(None) is None
    assert isinstance(get_response_cache("memory"), MemoryCache)
    sized = get_response_cache("memory://?size=5")
    assert isinstance(sized, MemoryCache) and sized.max_entries == 5
    assert isinstance(get_response_cache(redis_url), RedisCache)
    with pytest.raises(hf.ServeError, match=r"unknown cache 'memcached://x'.*'memory'.*redis://"):
        get_response_cache("memcached://x")
    with pytest.raises(hf.ServeError, match="cache size must be a whole number"):
        get_response_cache("memory://?size=big")
    with pytest.raises(
        hf.ServeError, match=r"cannot reach the Redis cache at redis://127\.0\.0\.1:9/"
    ):
        create_app(price_predictor(), cache="redis://127.0.0.1:9/0", poll_interval_s=None)


# -- a served model with the cache ------------------------------------------------------


def _families(client: TestClient) -> dict[str, Any]:
    text = client.get("/metrics").text
    return {f.name: f for f in text_string_to_metric_families(text)}


def _lookups(client: TestClient) -> dict[str, float]:
    family = _families(client)["hyperflow_cache_lookups"]
    return {s.labels["result"]: s.value for s in family.samples if s.name.endswith("_total")}


@pytest.mark.parametrize("predictor", [price_predictor, lambda: batch_predictor(coef=10.0)])
def test_a_repeated_row_is_answered_from_the_cache_and_still_logged(predictor: Any) -> None:
    log = InMemoryPredictionLog()
    app = create_app(predictor(), cache="memory", prediction_log=log, poll_interval_s=None)
    with TestClient(app) as client:
        first = client.post("/predict", json={"rooms": 3, "area": 1.5})
        again = client.post(
            "/predict",
            content=b'{"area": 1.5, "rooms": 3}',
            headers={"content-type": "application/json"},
        )  # same row, reordered
        other = client.post("/predict", json={"rooms": 4, "area": 1.5})
        assert [r.headers["x-hyperflow-cache"] for r in (first, again, other)] == [
            "miss",
            "hit",
            "miss",
        ]
        assert again.json()["prediction"] == first.json()["prediction"] == 31.5
        assert again.json()["request_id"].endswith(CACHED_SUFFIX)
        assert not first.json()["request_id"].endswith(CACHED_SUFFIX)
        assert _lookups(client) == {"hit": 1.0, "miss": 2.0}
        assert _families(client)["hyperflow_predictions"].samples[0].value == 3.0
    logged = log.search("house")
    assert list(logged["request_id"]) == [r.json()["request_id"] for r in (first, again, other)]
    assert list(logged["output"]) == [31.5, 31.5, 41.5]


def test_without_a_cache_nothing_is_cached_or_marked() -> None:
    app = create_app(price_predictor(), prediction_log="memory://", poll_interval_s=None)
    with TestClient(app) as client:
        answers = [client.post("/predict", json={"rooms": 1, "area": 0.0}) for _ in range(2)]
    assert all("x-hyperflow-cache" not in r.headers for r in answers)
    assert not any(r.json()["request_id"].endswith(CACHED_SUFFIX) for r in answers)


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_a_moved_alias_is_never_answered_from_the_old_version(
    kind: str, request: pytest.FixtureRequest
) -> None:
    url = "memory" if kind == "memory" else request.getfixturevalue("redis_url")
    backend = get_response_cache(url)
    assert backend is not None
    source = MovableSource(
        {"1.0.0": price_predictor(10.0, "1.0.0"), "1.1.0": price_predictor(100.0, "1.1.0")},
        "1.0.0",
    )
    app = create_app(
        source, cache=backend, admin_token="t", prediction_log="memory://", poll_interval_s=None
    )
    row = {"rooms": 2, "area": 0.0}
    with TestClient(app) as client:
        client.post("/predict", json=row)
        assert client.post("/predict", json=row).headers["x-hyperflow-cache"] == "hit"
        source.point_to("1.1.0")
        assert client.post("/admin/reload", headers={"Authorization": "Bearer t"}).json()[
            "reloaded"
        ]
        moved = client.post("/predict", json=row)
        assert moved.headers["x-hyperflow-cache"] == "miss"
        assert (moved.json()["version"], moved.json()["prediction"]) == ("1.1.0", 200.0)
    assert backend.get("house:1.0.0", _only_key(backend, row)) is None  # dropped


def _only_key(backend: ResponseCache, row: dict[str, Any]) -> str:
    from hyperflow.serve._cache import row_key

    return row_key(row)


def test_two_apps_share_entries_through_redis(redis_url: str) -> None:
    prefix = {"cache": RedisCache(redis_url, prefix="shared:")}
    one = create_app(price_predictor(), prediction_log="memory://", poll_interval_s=None, **prefix)
    two = create_app(
        price_predictor(),
        prediction_log="memory://",
        poll_interval_s=None,
        cache=RedisCache(redis_url, prefix="shared:"),
    )
    with TestClient(one) as a, TestClient(two) as b:
        assert (
            a.post("/predict", json={"rooms": 7, "area": 0}).headers["x-hyperflow-cache"] == "miss"
        )
        hit = b.post("/predict", json={"rooms": 7, "area": 0})
    assert hit.headers["x-hyperflow-cache"] == "hit" and hit.json()["prediction"] == 70.0


def test_a_redis_outage_costs_a_miss_not_a_request(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        app = create_app(
            price_predictor(), cache=url, prediction_log="memory://", poll_interval_s=None
        )
        with TestClient(app) as client:
            client.post("/predict", json={"rooms": 1, "area": 0})
            assert (
                client.post("/predict", json={"rooms": 1, "area": 0}).headers["x-hyperflow-cache"]
                == "hit"
            )
    # the server is gone now; the app keeps answering
    with TestClient(app) as client:
        r = client.post("/predict", json={"rooms": 1, "area": 0})
    assert r.status_code == 200 and r.json()["prediction"] == 10.0
    assert r.headers["x-hyperflow-cache"] == "miss"

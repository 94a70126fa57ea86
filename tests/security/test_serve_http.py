"""Issue 23, finding 9 (serving parts): metric labels, strict JSON, content types,
client disconnects, optional inputs and the ``Bearer`` scheme."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import pytest

import hyperflow as hf
from hyperflow.registry import Predictor
from hyperflow.serve import InMemoryPredictionLog, create_app
from tests.serve.conftest import Running, servers
from tests.serve.models import price_predictor

JSON = {"content-type": "application/json"}


@pytest.fixture
def serve_app() -> Iterator[Callable[..., Running]]:
    with servers() as start:
        yield start


def test_unknown_http_methods_share_one_metric_label(serve_app: Callable[..., Running]) -> None:
    srv = serve_app(create_app(price_predictor()))
    for i in range(40):
        assert srv.client.request(f"ODD{i}", "/predict").status_code in (400, 405)
    text = srv.client.get("/metrics").text
    assert "ODD" not in text
    assert 'method="other",route="/predict",status="405"} 40.0' in text


@pytest.mark.parametrize(
    "body",
    [
        b'{"rooms": 1, "area": NaN}',
        b'{"rooms": 1, "area": Infinity}',
        b'{"rooms": 1, "area": -Infinity}',
        b'{"rooms": 1, "area": 1e999}',
        b'{"rooms": 1, "area": false}',
        b'{"rooms": true, "area": 1.0}',
        b'{"rooms": "1", "area": 1.0}',
    ],
)
def test_json_is_strict(serve_app: Callable[..., Running], body: bytes) -> None:
    log = InMemoryPredictionLog()
    srv = serve_app(create_app(price_predictor(), prediction_log=log))
    r = srv.client.post("/predict", content=body, headers=JSON)
    assert r.status_code == 422, r.text
    assert (
        srv.client.post("/predict", content=b'{"rooms": 1, "area": 2}', headers=JSON).json()[
            "prediction"
        ]
        == 12.0
    )  # an integer is a fine float
    srv.stop()
    assert len(log) == 1


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
def test_only_json_bodies_are_parsed(
    serve_app: Callable[..., Running], content_type: str | None
) -> None:
    log = InMemoryPredictionLog()
    srv = serve_app(create_app(price_predictor(), prediction_log=log))
    rid = srv.client.post("/predict", json={"rooms": 1, "area": 0.0}).json()["request_id"]
    headers = {"content-type": content_type} if content_type else {}
    body = b'{"request_id": "%s", "ground_truth": -999.0}' % rid.encode()
    fb = srv.client.post("/feedback", content=body, headers=headers)  # what a web page can send
    assert fb.status_code == 415, fb.text
    assert "application/json" in fb.json()["detail"]
    pred = srv.client.post("/predict", content=b'{"rooms": 1, "area": 0.0}', headers=headers)
    assert pred.status_code == 415
    ok = srv.client.post(
        "/predict",
        content=b'{"rooms": 1, "area": 0.0}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 200
    srv.stop()
    df = hf.predictions.search("house", log=log)
    assert len(df) == 2 and df["ground_truth"].isna().all()


@pytest.fixture
def logs(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> pytest.LogCaptureFixture:
    """Every record of uvicorn and hyperflow.serve (their loggers may not propagate)."""
    for name in ("uvicorn", "uvicorn.error", "hyperflow.serve"):
        monkeypatch.setattr(logging.getLogger(name), "propagate", True)
        caplog.set_level(logging.INFO, logger=name)
    caplog.set_level(logging.INFO)
    return caplog


def test_a_client_leaving_mid_body_is_a_disconnect_not_a_500(
    serve_app: Callable[..., Running], logs: pytest.LogCaptureFixture
) -> None:
    srv = serve_app(create_app(price_predictor()))
    for _ in range(3):
        with srv.connect() as conn:
            conn.sendall(
                b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"rooms": 1'
            )
    deadline = time.monotonic() + 30
    while 'route="/predict",status="499"} 3.0' not in (text := srv.client.get("/metrics").text):
        assert time.monotonic() < deadline, text
        time.sleep(0.02)
    assert 'status="500"' not in text
    assert not [r for r in logs.records if r.levelno >= logging.ERROR]
    assert [r for r in logs.records if "disconnected before sending the whole body" in r.message]


def discounted(price: float, discount: float = 0.1, currency: str = "EUR") -> str:
    return f"{price * (1 - discount):.2f} {currency}"


def test_an_input_with_a_default_is_optional(serve_app: Callable[..., Running]) -> None:
    srv = serve_app(create_app(Predictor(hf.Pipeline([discounted], name="discount"), {})))
    row = srv.client.get("/openapi.json").json()["components"]["schemas"]["DiscountRow"]
    assert row["required"] == ["price"]
    assert row["properties"]["discount"]["default"] == 0.1
    assert srv.client.post("/predict", json={"price": 10.0}).json()["prediction"] == "9.00 EUR"
    given = srv.client.post("/predict", json={"price": 10.0, "discount": 0.5, "currency": "USD"})
    assert given.json()["prediction"] == "5.00 USD"
    batch = srv.client.post("/predict/batch", json=[{"price": 1.0}, {"price": 2.0, "discount": 0}])
    assert batch.json()["predictions"] == ["0.90 EUR", "2.00 EUR"]


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(
    serve_app: Callable[..., Running], scheme: str
) -> None:
    srv = serve_app(create_app(price_predictor(), api_token="t0k", admin_token="adm"))
    row = {"rooms": 1, "area": 0.0}
    ok = srv.client.post("/predict", json=row, headers={"Authorization": f"{scheme} t0k"})
    assert ok.status_code == 200
    admin = srv.client.post("/admin/reload", headers={"Authorization": f"{scheme} adm"})
    assert admin.status_code == 200
    for wrong in (f"{scheme} T0K", "Basic t0k", "t0k", f"{scheme}t0k"):
        r = srv.client.post("/predict", json=row, headers={"Authorization": wrong})
        assert r.status_code == 401, wrong

"""A serving process keeps its loaded heap out of the cyclic GC's reach (no full collection
over the model mid-request), and lets a replaced model be collected."""

from __future__ import annotations

import gc
import weakref

from fastapi.testclient import TestClient

from hyperflow.serve import create_app
from tests.serve.models import MovableSource, price_predictor

ADMIN = {"Authorization": "Bearer s3cret"}


class _Cyclic:
    """An artifact in a reference cycle: only the cyclic GC can free it."""

    def __init__(self) -> None:
        self.me = self


def test_the_heap_is_frozen_while_serving_and_a_replaced_model_is_freed() -> None:
    old = price_predictor(10.0, "1.0.0")
    old.keep = cycle = _Cyclic()  # type: ignore[attr-defined]
    gone = weakref.ref(cycle)
    source = MovableSource({"1.0.0": old, "1.1.0": price_predictor(100.0, "1.1.0")}, "1.0.0")
    app = create_app(source, poll_interval_s=None, admin_token="s3cret")
    del old, cycle
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 0  # the model, the libraries and the app
        assert client.post("/predict", json={"rooms": 1, "area": 0}).json()["version"] == "1.0.0"
        source.versions.pop("1.0.0")
        source.point_to("1.1.0")
        assert client.post("/admin/reload", headers=ADMIN).json()["version"] == "1.1.0"
        assert gc.get_freeze_count() > 0  # frozen again, the new model with it
        assert client.post("/predict", json={"rooms": 1, "area": 0}).json()["version"] == "1.1.0"
    assert gc.get_freeze_count() == 0  # a stopped app leaves the GC as it found it
    gc.collect()
    assert gone() is None  # the replaced model's cycle was collected

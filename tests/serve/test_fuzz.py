"""Bad input never yields a 5xx: schemathesis fuzzes the served OpenAPI spec."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from hyperflow.serve import create_app
from tests.serve.conftest import Running
from tests.serve.models import batch_predictor, label_predictor

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")


@pytest.mark.slow
@pytest.mark.parametrize("make", [label_predictor, batch_predictor], ids=["label", "batchable"])
def test_schemathesis_finds_no_server_error(
    serve_app: Callable[[Any], Running], make: Callable[[], Any]
) -> None:
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    srv = serve_app(create_app(make(), max_batch_rows=5, max_body_bytes=5_000))
    schema = schemathesis.openapi.from_url(srv.url + "/openapi.json")
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"POST /predict", "POST /predict/batch"}
    for op in operations:
        modes = [schemathesis.GenerationMode.POSITIVE]
        if op.method.upper() == "POST":  # a GET without parameters has no negative case
            modes.append(schemathesis.GenerationMode.NEGATIVE)
        for mode in modes:

            @given(case=op.as_strategy(generation_mode=mode))
            @settings(
                max_examples=25,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                response = case.call(base_url=srv.url)
                statuses[response.status_code] += 1
                case.validate_response(response, checks=(not_a_server_error,))

            check()
    assert statuses[200] > 0 and statuses[422] > 0  # it did send both kinds
    assert not [s for s in statuses if s >= 500]

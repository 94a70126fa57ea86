"""The prediction routes under a traffic policy: pick the arm, answer, copy to the shadow.

Called by ``POST /predict`` and ``/predict/batch`` only while the served model has a policy
(the no-policy path stays as it was). Every answer, failed ones included, is a row in the
prediction log with its version, arm and HTTP status: an exception of the version that was
picked is a 500 (``422`` when the model rejected the input's value), a prediction slower
than the policy's timeout a 504; neither touches the other arms. Responses carry the
headers ``x-hyperflow-version`` and ``x-hyperflow-arm``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import anyio.to_thread
from fastapi import Request
from starlette.responses import Response

from hyperflow._errors import NodeError
from hyperflow.registry import Predictor
from hyperflow.serve._context import CallTiming, ServeContext
from hyperflow.serve._guards import new_request_id
from hyperflow.serve._routes import (
    _is_input_problem,
    _unprocessable,
    batch_rows,
    json_response,
    log_predictions,
    parse_row,
    predict_row,
)
from hyperflow.serve._schema import TooManyRows
from hyperflow.serve._traffic import Routes, Traffic

__all__ = ["predict_batch_routed", "predict_routed"]

_log = logging.getLogger("hyperflow.serve")


def _failure(exc: BaseException) -> int:
    if isinstance(exc, TimeoutError):
        return 504
    if isinstance(exc, NodeError) and _is_input_problem(exc):
        return 422
    return 500


def _failed(
    status: int, exc: BaseException, p: Predictor, arm: str, rid: str, headers: dict[str, str]
) -> Response:
    if status == 422 and isinstance(exc, Exception):
        response = _unprocessable(exc)
        response.headers.update(headers)
        return response
    if status == 504:
        detail = f"version {p.version} ({arm}) took too long to answer"
    else:
        _log.warning(
            "hyperflow serve: %s %s (%s) failed: %s: %s",
            p.name, p.version, arm, type(exc).__name__, exc,
        )
        detail = f"version {p.version} ({arm}) failed: {type(exc).__name__}"
    return json_response({"detail": detail, "request_id": rid}, status, headers)


async def _answer(
    context: ServeContext, p: Predictor, row: Any, timing: CallTiming, timeout_s: float
) -> Any:
    if context.service.batcher is None and timing.fast(p):
        return timing.call(p, row)  # a fast model answers inline: no timeout to enforce
    return await asyncio.wait_for(predict_row(context, p, row, timing), timeout_s)


async def predict_routed(
    request: Request,
    context: ServeContext,
    traffic: Traffic,
    routes: Routes,
    body: bytes,
    start: float,
) -> Response:
    """``POST /predict`` under a policy."""
    service = context.service
    try:
        row = await parse_row(context, service.predictor, body)
    except Exception as exc:
        if _is_input_problem(exc):
            return _unprocessable(exc)
        raise
    arm = routes.choose(row, request.headers)
    p = arm.predictor or service.predictor
    timing = context.timing if arm.predictor is None else arm.timing
    rid = new_request_id()
    headers = {"x-hyperflow-version": p.version or "", "x-hyperflow-arm": arm.arm}
    traffic.shadow_copy(rid, [row], routes)
    try:
        value = await _answer(context, p, row, timing, routes.timeout_s)
    except Exception as exc:
        status = _failure(exc)
        log_predictions(context, p, start, [rid], [row], [None], arm.arm, status)
        return _failed(status, exc, p, arm.arm, rid, headers)
    log_predictions(context, p, start, [rid], [row], [value], arm.arm)
    return json_response(
        {"request_id": rid, "model": p.name, "version": p.version, "prediction": value},
        headers=headers,
    )


async def predict_batch_routed(
    request: Request,
    context: ServeContext,
    traffic: Traffic,
    routes: Routes,
    body: bytes,
    start: float,
) -> Response:
    """``POST /predict/batch`` under a policy: the whole batch goes to one arm (picked by
    its first row's sticky value, or at random)."""
    service = context.service
    try:
        rows = await anyio.to_thread.run_sync(batch_rows, context.models, service.predictor, body)
    except TooManyRows as exc:
        return json_response({"detail": str(exc)}, 413)
    except Exception as exc:
        if _is_input_problem(exc):
            return _unprocessable(exc)
        raise
    arm = routes.choose(rows[0] if rows else {}, request.headers)
    p = arm.predictor or service.predictor
    rid = new_request_id()
    ids = [f"{rid}-{i}" for i in range(len(rows))]
    headers = {"x-hyperflow-version": p.version or "", "x-hyperflow-arm": arm.arm}
    traffic.shadow_copy(rid, rows, routes)
    call = functools.partial(p.predict_many, rows, validate=False)
    try:
        values = await asyncio.wait_for(anyio.to_thread.run_sync(call), routes.timeout_s)
    except Exception as exc:
        status = _failure(exc)
        log_predictions(context, p, start, ids, rows, [None] * len(rows), arm.arm, status)
        return _failed(status, exc, p, arm.arm, rid, headers)
    log_predictions(context, p, start, ids, rows, values, arm.arm)
    body_out = {
        "request_id": rid, "request_ids": ids, "model": p.name, "version": p.version,
        "predictions": values,
    }
    return json_response(body_out, headers=headers)

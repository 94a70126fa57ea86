"""The routes of a served model, as ``APIRouter``s (no postponed annotations: FastAPI reads
the dependencies from the handlers' annotations).

Each router factory takes only what its OpenAPI description needs; handlers get
the app's state through ``Depends(get_context)`` (see ``_context``).
"""

import json
import logging
import time
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from hyperflow._errors import NodeError
from hyperflow.registry import PredictionInputError, Predictor
from hyperflow.serve._asgi import REQUEST_FIELDS
from hyperflow.serve._cache import CACHED_SUFFIX
from hyperflow.serve._context import (
    CallTiming,
    Context,
    ServeContext,
    context_of,
    json_body,
    rate_limited,
    ready_or_503,
    require_admin_token,
    require_api_token,
)
from hyperflow.serve._guards import new_request_id
from hyperflow.serve._schema import ApiModels, InvalidBody, TooManyRows
from hyperflow.serve._writer import to_json

__all__ = [
    "admin_router",
    "batch_rows",
    "feedback_router",
    "guards",
    "json_response",
    "log_predictions",
    "parse_row",
    "predict_row",
    "prediction_router",
    "probe_router",
]

_log = logging.getLogger("hyperflow.serve")
#: ``/feedback`` waits at least this long for an id logged by another process.
_FEEDBACK_WAIT_MIN_S = 2.0
_INPUT_ERRORS = (ValueError, TypeError, KeyError, IndexError, ArithmeticError)
_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "the service is starting or stopping"}
}
_BAD_INPUT: dict[int | str, dict[str, Any]] = {
    415: {"description": "the body is not sent as application/json"},
    422: {"description": "a field is missing or has the wrong type"},
}


def json_response(
    content: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        to_json(content), status_code=status, media_type="application/json", headers=headers
    )


def _unprocessable(exc: Exception) -> Response:
    """A 422 for a row the model cannot use (bad field, or the model rejected the value)."""
    if isinstance(exc, InvalidBody):
        body: dict[str, Any] = {"detail": exc.errors}
        if exc.total > len(exc.errors):
            body["message"] = f"{exc.total} errors; the first {len(exc.errors)} are listed"
        return json_response(body, 422)
    if isinstance(exc, PredictionInputError):
        errors = [
            {
                "loc": ["body", *(str(e["field"]).split(".") if e["field"] else [])],
                "msg": e["message"],
                "type": "value_error",
            }
            for e in exc.errors
        ]
        return json_response({"detail": errors, "message": str(exc)}, 422)
    cause = exc.__cause__ or exc
    msg = f"the model could not predict for this input: {type(cause).__name__}: {cause}"
    detail = [{"loc": ["body"], "msg": msg, "type": "prediction_failed"}]
    return json_response({"detail": detail, "message": msg}, 422)


def _is_input_problem(exc: Exception) -> bool:
    if isinstance(exc, InvalidBody | PredictionInputError):
        return True
    return isinstance(exc, NodeError) and isinstance(exc.__cause__, _INPUT_ERRORS)


def _docs(models: ApiModels, model: Any, many: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = models.ref(model)
    body: dict[str, Any] = {"type": "array", "items": ref} if many else ref
    if many and models.batch_max is not None:
        body["maxItems"] = models.batch_max
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}


def _ok(models: ApiModels, model: Any, code: int = 200) -> dict[int | str, dict[str, Any]]:
    content = {"application/json": {"schema": models.ref(model)}}
    return {code: {"description": "OK", "content": content}}


def log_predictions(
    context: ServeContext,
    p: Predictor,
    start: float,
    ids: list[str],
    rows: list[Any],
    values: list[Any],
    arm: str | None = None,
    status: int = 200,
) -> None:
    """Metrics and the prediction log for answered rows (``status`` 200) or failed ones."""
    metrics = context.service.metrics
    took = time.perf_counter() - start
    metrics.observe_arm(p.version, arm or "", status, took)
    if status == 200:
        metrics.observe_predictions(values)
        context.issued.add(ids)
    writer = context.service.writer
    if writer is not None:
        latency = took * 1000.0
        now = time.time()
        for rid, row, value in zip(ids, rows, values, strict=True):
            writer.submit(rid, p.name, p.version, now, latency, row, value, arm, status)


async def parse_row(context: ServeContext, p: Predictor, body: bytes) -> Any:
    """The pipeline's row for a request body (a big one is validated off the event loop)."""
    models = context.models
    if len(body) > context.inline_below_bytes:
        parsed = await anyio.to_thread.run_sync(models.parse, models.row_adapter, body)
    else:
        parsed = models.parse(models.row_adapter, body)
    return models.to_row(p.schema, parsed)


async def predict_row(context: ServeContext, p: Predictor, row: Any, timing: CallTiming) -> Any:
    """``p``'s prediction for ``row``: micro-batched, inline for a fast model, else threaded."""
    service = context.service
    if service.batcher is not None:
        return await service.batcher.submit(p, row)
    if timing.fast(p):
        return timing.call(p, row)
    return await run_in_threadpool(timing.call, p, row)


def batch_rows(models: ApiModels, p: Predictor, body: bytes) -> list[Any]:
    """The pipeline's rows for a batch request body."""
    return [models.to_row(p.schema, b) for b in models.parse(models.batch_adapter, body)]


async def _one_value(context: ServeContext, p: Predictor, row: Any) -> tuple[Any, bool]:
    """``row``'s prediction, and whether it came from the response cache."""
    cache = context.cache
    if cache is None:
        return await predict_row(context, p, row, context.timing), False
    key, text = cache.get(p.name, p.version, row)
    context.service.metrics.cached.labels("miss" if text is None else "hit").inc()
    if text is not None:
        return json.loads(text), True
    value = await predict_row(context, p, row, context.timing)
    cache.put(p.name, p.version, key, to_json(value))
    return value, False


def _batch_values(models: ApiModels, p: Predictor, body: bytes) -> tuple[list[Any], list[Any]]:
    """Validate and predict a batch (on a worker thread: neither blocks the event loop)."""
    rows = batch_rows(models, p, body)
    return rows, p.predict_many(rows, validate=False)


async def predict(request: Request) -> Response:
    """Predict for one row."""
    start = time.perf_counter()
    context = context_of(request)
    body = await json_body(request)
    p = ready_or_503(context)
    traffic = context.service.traffic
    if traffic is not None and traffic.routes is not None:  # a canary or shadow policy
        from hyperflow.serve._traffic_routes import predict_routed

        return await predict_routed(request, context, traffic, traffic.routes, body, start)
    row = None
    try:
        row = await parse_row(context, p, body)
        value, cached = await _one_value(context, p, row)
    except Exception as exc:
        if _is_input_problem(exc):
            return _unprocessable(exc)
        if row is None:
            raise
        rid = new_request_id()  # the model failed: a row with its status, and a JSON 500
        log_predictions(context, p, start, [rid], [row], [None], None, 500)
        _log.error("hyperflow serve: %s %s failed", p.name, p.version, exc_info=exc)
        detail = f"version {p.version} failed: {type(exc).__name__}"
        headers = {"x-hyperflow-version": p.version or ""}
        return json_response({"detail": detail, "request_id": rid}, 500, headers)
    rid = new_request_id() + (CACHED_SUFFIX if cached else "")
    request.scope[REQUEST_FIELDS] = {"request_id": rid, "model": p.name, "version": p.version}
    log_predictions(context, p, start, [rid], [row], [value])
    response = json_response(
        {"request_id": rid, "model": p.name, "version": p.version, "prediction": value},
        headers={"x-hyperflow-version": p.version or ""},
    )
    if context.cache is not None:
        response.headers["x-hyperflow-cache"] = "hit" if cached else "miss"
    return response


async def predict_batch(request: Request, context: Context) -> Response:
    """Predict for a list of rows (one pipeline call for a batchable pipeline)."""
    start = time.perf_counter()
    body = await json_body(request)
    p = ready_or_503(context)
    traffic = context.service.traffic
    if traffic is not None and traffic.routes is not None:  # a canary or shadow policy
        from hyperflow.serve._traffic_routes import predict_batch_routed

        return await predict_batch_routed(request, context, traffic, traffic.routes, body, start)
    try:
        rows, values = await anyio.to_thread.run_sync(_batch_values, context.models, p, body)
    except TooManyRows as exc:
        return json_response({"detail": str(exc)}, 413)
    except Exception as exc:
        if _is_input_problem(exc):
            return _unprocessable(exc)
        raise
    if p.batchable and rows:
        context.service.metrics.batch_size.observe(len(rows))
    rid = new_request_id()
    request.scope[REQUEST_FIELDS] = {"request_id": rid, "model": p.name, "version": p.version}
    ids = [f"{rid}-{i}" for i in range(len(rows))]
    log_predictions(context, p, start, ids, rows, values)
    return json_response(
        {
            "request_id": rid,
            "request_ids": ids,
            "model": p.name,
            "version": p.version,
            "predictions": values,
        },
        headers={"x-hyperflow-version": p.version or ""},
    )


def guards(api_token: str | None, rate_limit: float | None) -> list[Any]:
    """The router dependencies of the prediction and feedback routes: the API token and
    the rate limit where configured (unconfigured checks cost nothing per request)."""
    return [
        *([Depends(require_api_token)] if api_token is not None else []),
        *([Depends(rate_limited)] if rate_limit else []),
    ]


def prediction_router(models: ApiModels, dependencies: list[Any]) -> APIRouter:
    """``POST /predict`` and ``POST /predict/batch`` (``dependencies``: see ``guards``)."""
    router = APIRouter(dependencies=dependencies)
    too_many: dict[int | str, dict[str, Any]] = {
        413: {"description": f"more than {models.batch_max} rows"}
    }
    router.add_api_route(
        "/predict",
        predict,
        methods=["POST"],
        openapi_extra=_docs(models, models.row),
        responses={**_ok(models, models.prediction), **_BAD_INPUT, **_UNAVAILABLE},
    )
    router.add_api_route(
        "/predict/batch",
        predict_batch,
        methods=["POST"],
        openapi_extra=_docs(models, models.row, many=True),
        responses={
            **_ok(models, models.batch_prediction),
            **too_many,
            **_BAD_INPUT,
            **_UNAVAILABLE,
        },
    )
    return router


async def _was_served(context: ServeContext, request_id: str) -> bool:
    """Issued here and unexpired, or found in the prediction log within the time to live.

    A log shared with other workers or replicas is asked again every flush interval
    for up to ``_feedback_wait_s``: the id may come from a process whose writer has
    not flushed it yet (under load that is more than one flush).
    """
    if context.issued.known(request_id):
        return True
    log, writer = context.log, context.service.writer
    logged = await anyio.to_thread.run_sync(log.logged_at, request_id)
    if logged is None and writer is not None and log.shared:
        deadline = time.monotonic() + _feedback_wait_s(writer.flush_interval_s)
        while logged is None and time.monotonic() < deadline:
            await anyio.sleep(writer.flush_interval_s)
            logged = await anyio.to_thread.run_sync(log.logged_at, request_id)
    if logged is None:
        return False
    return time.time() - logged.timestamp() <= context.issued.ttl_s


def _feedback_wait_s(flush_interval_s: float) -> float:
    """How long ``/feedback`` waits for an id another process may not have logged yet."""
    return max(_FEEDBACK_WAIT_MIN_S, 10 * flush_interval_s)


async def feedback(request: Request, context: Context) -> Response:
    """Record the ground truth for an earlier prediction's ``request_id``."""
    try:
        fb = context.models.parse(context.models.feedback_adapter, await json_body(request))
    except InvalidBody as exc:
        return _unprocessable(exc)
    if not await _was_served(context, fb.request_id):
        detail = (
            f"no prediction with request_id {fb.request_id!r} (or it expired): send the "
            "request_id a /predict response returned"
        )
        return json_response({"detail": detail}, 404)
    writer = context.service.writer
    if writer is not None:
        writer.submit_feedback(fb.request_id, fb.ground_truth, time.time())
    return json_response({"request_id": fb.request_id, "accepted": True}, 202)


def feedback_router(models: ApiModels, dependencies: list[Any]) -> APIRouter:
    """``POST /feedback`` (``dependencies``: see ``guards``)."""
    router = APIRouter(dependencies=dependencies)
    router.add_api_route(
        "/feedback",
        feedback,
        methods=["POST"],
        status_code=202,
        openapi_extra=_docs(models, models.feedback),
        responses={
            202: {"description": "Accepted"},
            404: {"description": "no prediction with this request_id, or it expired"},
            **_BAD_INPUT,
        },
    )
    return router


async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


async def ready(context: Context) -> Response:
    """Readiness: a model is loaded and the service accepts predictions."""
    if not context.service.ready:
        return json_response({"status": "not ready"}, 503)
    return json_response({"status": "ready", "version": context.service.predictor.version})


async def version(context: Context) -> dict[str, Any]:
    """Model name, version, alias and code version being served."""
    return context.service.describe()


async def prometheus(context: Context) -> Response:
    """Prometheus metrics."""
    service = context.service
    if service.writer is not None:
        service.metrics.log_pending.set(service.writer.pending)
    body, content_type = service.metrics.render()
    return Response(body, media_type=content_type)


def probe_router() -> APIRouter:
    """``GET /health``, ``/ready``, ``/version`` and ``/metrics`` (open, for probes)."""
    router = APIRouter()
    router.add_api_route("/health", health, methods=["GET"])
    router.add_api_route("/ready", ready, methods=["GET"], responses=_UNAVAILABLE)
    router.add_api_route("/version", version, methods=["GET"])
    router.add_api_route("/metrics", prometheus, methods=["GET"], response_class=Response)
    return router


class _ReloadOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    force: bool = False


async def _force(request: Request) -> bool:
    raw = await request.body()
    if not raw.strip():
        return False
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(415, "send the reload options as 'Content-Type: application/json'")
    try:
        return _ReloadOptions.model_validate_json(raw).force
    except ValidationError as exc:
        raise HTTPException(422, exc.errors(include_url=False, include_input=False)) from None


async def reload(request: Request, context: Context) -> Response:
    """Load what the model reference points to now (needs the admin token)."""
    force = await _force(request)
    service = context.service
    before = service.predictor.version
    try:
        changed = await service.reload(force=force)
    except Exception as exc:
        detail = f"reload failed, still serving {before}: {type(exc).__name__}: {exc}"
        return json_response({"detail": detail}, 409)
    if service.broadcast is not None:  # serve --workers: the other workers reload too
        service.broadcast.announce(force)
    return json_response({"reloaded": changed, **service.describe()})


def admin_router() -> APIRouter:
    """``POST /admin/reload`` (admin token checked here, before the body is read)."""
    router = APIRouter(dependencies=[Depends(require_admin_token)])
    options = {"type": "object", "properties": {"force": {"type": "boolean", "default": False}}}
    router.add_api_route(
        "/admin/reload",
        reload,
        methods=["POST"],
        openapi_extra={
            "requestBody": {"required": False, "content": {"application/json": {"schema": options}}}
        },
        responses={401: {"description": "missing or wrong admin token"}},
    )
    return router

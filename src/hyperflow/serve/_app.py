"""``create_app``: a FastAPI service for one model (no postponed annotations here:
FastAPI reads the generated request models from the handlers' annotations)."""

import asyncio
import contextlib
import itertools
import os
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from hyperflow._errors import NodeError, ServeError
from hyperflow.registry import ModelSource, PredictionInputError, Predictor
from hyperflow.serve._asgi import ServiceGate
from hyperflow.serve._batcher import MicroBatcher
from hyperflow.serve._schema import InvalidBody, build_models
from hyperflow.serve._service import Service, resolve_source
from hyperflow.serve._writer import DEFAULT_LOG_QUEUE_SIZE, LogWriter, to_json
from hyperflow.store import PredictionLog, get_prediction_log

__all__ = [
    "DEFAULT_MAX_BATCH_ROWS",
    "DEFAULT_MAX_BATCH_SIZE",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_WAIT_MS",
    "DEFAULT_POLL_INTERVAL_S",
    "create_app",
]

DEFAULT_MAX_BATCH_SIZE = 32
DEFAULT_MAX_WAIT_MS = 5.0
DEFAULT_MAX_BATCH_ROWS = 1_000
DEFAULT_MAX_BODY_BYTES = 1_000_000
DEFAULT_POLL_INTERVAL_S = 10.0
_INPUT_ERRORS = (ValueError, TypeError, KeyError, IndexError, ArithmeticError)


def _fastapi() -> Any:
    try:
        import fastapi
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ServeError(
            "serving needs FastAPI, uvicorn and prometheus-client: pip install 'hyperflow[serve]'"
        ) from exc
    return fastapi


def _json(content: Any, status: int = 200) -> Any:
    from starlette.responses import Response

    return Response(to_json(content), status_code=status, media_type="application/json")


def _unprocessable(exc: Exception) -> Any:
    """A 422 for a row the model cannot use (bad field, or the model rejected the value)."""
    if isinstance(exc, InvalidBody):
        return _json({"detail": exc.errors}, 422)
    if isinstance(exc, PredictionInputError):
        errors = [
            {
                "loc": ["body", *(str(e["field"]).split(".") if e["field"] else [])],
                "msg": e["message"],
                "type": "value_error",
            }
            for e in exc.errors
        ]
        return _json({"detail": errors, "message": str(exc)}, 422)
    cause = exc.__cause__ or exc
    msg = f"the model could not predict for this input: {type(cause).__name__}: {cause}"
    return _json(
        {"detail": [{"loc": ["body"], "msg": msg, "type": "prediction_failed"}], "message": msg},
        422,
    )


def _is_input_problem(exc: Exception) -> bool:
    if isinstance(exc, PredictionInputError):
        return True
    return isinstance(exc, NodeError) and isinstance(exc.__cause__, _INPUT_ERRORS)


def create_app(
    model: str | Predictor | ModelSource,
    *,
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE,
    max_wait_ms: float = DEFAULT_MAX_WAIT_MS,
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
    poll_interval_s: float | None = DEFAULT_POLL_INTERVAL_S,
    prediction_log: str | PredictionLog | None = None,
    log_queue_size: int = DEFAULT_LOG_QUEUE_SIZE,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    admin_token: str | None = None,
    api_token: str | None = None,
) -> Any:
    """A FastAPI (ASGI) app serving ``model``; host it with any ASGI server.

    Args:
        model: ``"name@alias"`` (resolved by the registry), a ``Predictor``, or a
            ``ModelSource`` (polled for hot reload).
        max_batch_size: for a batchable pipeline, rows coalesced into one call at
            most (1 turns micro-batching off).
        max_wait_ms: longest wait for a micro-batch to fill.
        max_batch_rows: rows accepted by ``POST /predict/batch`` (more: 413).
        poll_interval_s: how often the source is checked for a moved alias
            (``None`` or 0: only ``POST /admin/reload``).
        prediction_log: where predictions go (``None``: the process default log).
        log_queue_size: predictions queued for the log at most (beyond: dropped, counted).
        max_body_bytes: request bodies larger than this get 413.
        admin_token: token of ``/admin/*`` (default ``$HYPERFLOW_ADMIN_TOKEN``; unset:
            admin routes answer 401).
        api_token: token of the prediction routes (default ``$HYPERFLOW_API_TOKEN``;
            unset: open).

    Returns:
        A ``fastapi.FastAPI`` app; ``app.state.hyperflow`` is its ``Service``.

    Example:
        >>> import hyperflow as hf
        >>> from hyperflow.registry import Predictor
        >>> def double(k: float, x: float) -> float:
        ...     return k * x
        >>> app = create_app(Predictor(hf.Pipeline([double], name="double"), {"k": 2.0}))
        >>> sorted(app.openapi()["paths"])[:3]
        ['/admin/reload', '/feedback', '/health']
    """
    _fastapi()
    from fastapi import Body, FastAPI, Request
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    if max_batch_size < 1 or max_wait_ms < 0 or max_batch_rows < 1 or max_body_bytes < 1:
        raise ServeError(
            "max_batch_size, max_batch_rows and max_body_bytes must be >= 1 and max_wait_ms "
            f">= 0, but got max_batch_size={max_batch_size}, max_wait_ms={max_wait_ms}, "
            f"max_batch_rows={max_batch_rows}, max_body_bytes={max_body_bytes}"
        )
    service = Service(resolve_source(model))
    first = service.predictor
    models = build_models(first.schema, first.name)
    log = get_prediction_log(prediction_log)
    metrics = service.metrics
    admin_token = (
        admin_token if admin_token is not None else os.environ.get("HYPERFLOW_ADMIN_TOKEN") or None
    )
    api_token = (
        api_token if api_token is not None else os.environ.get("HYPERFLOW_API_TOKEN") or None
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        writer = LogWriter(log, max_queue=log_queue_size, on_drop=metrics.log_dropped.inc)
        writer.start()
        service.writer = writer
        if first.batchable and max_batch_size > 1:
            service.batcher = MicroBatcher(
                max_batch_size, max_wait_ms, on_batch=metrics.batch_size.observe
            )
        poller = None
        if poll_interval_s:
            poller = asyncio.get_running_loop().create_task(service.poll(poll_interval_s))
        service.ready = True
        try:
            yield
        finally:
            service.ready = False
            if poller is not None:
                poller.cancel()
            if service.batcher is not None:
                await service.batcher.close()
            await asyncio.to_thread(writer.close)

    api = FastAPI(
        title=f"{first.name} (hyperflow)",
        version=first.version or "0",
        description=f"Predictions of `{first.name}`, served by hyperflow.",
        lifespan=lifespan,
    )
    schema = first.schema
    timing = _Timing()

    def log_prediction(rid: str, p: Predictor, start: float, row: Any, value: Any) -> None:
        metrics.observe_predictions([value])
        if service.writer is not None:
            latency = (time.perf_counter() - start) * 1000.0
            service.writer.submit(rid, p.name, p.version, time.time(), latency, row, value)

    unavailable: dict[int | str, dict[str, Any]] = {
        503: {"description": "the service is starting or stopping"}
    }
    bad_input: dict[int | str, dict[str, Any]] = {
        422: {"description": "a field is missing or has the wrong type"}
    }

    def body_doc(model: Any, many: bool = False) -> dict[str, Any]:
        ref: dict[str, Any] = models.ref(model)
        body = {"type": "array", "items": ref} if many else ref
        return {
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}}
        }

    def ok_doc(model: Any, code: int = 200) -> dict[int | str, dict[str, Any]]:
        return {
            code: {
                "description": "OK",
                "content": {"application/json": {"schema": models.ref(model)}},
            }
        }

    @api.post(
        "/predict",
        openapi_extra=body_doc(models.row),
        responses={**ok_doc(models.prediction), **bad_input, **unavailable},
    )
    async def predict(request: Request) -> Any:
        """Predict for one row."""
        start = time.perf_counter()
        if not service.ready:
            return _json({"detail": "the service is not ready"}, 503)
        p = service.predictor
        try:
            row = models.to_row(schema, models.parse(models.row_adapter, await request.body()))
            if service.batcher is not None:
                value = await service.batcher.submit(p, row)
            elif timing.fast(p):
                value = timing.call(p, row)
            else:
                value = await run_in_threadpool(timing.call, p, row)
        except Exception as exc:
            if isinstance(exc, InvalidBody) or _is_input_problem(exc):
                return _unprocessable(exc)
            raise
        rid = _request_id()
        log_prediction(rid, p, start, row, value)
        return _json(
            {"request_id": rid, "model": p.name, "version": p.version, "prediction": value}
        )

    @api.post(
        "/predict/batch",
        openapi_extra=body_doc(models.row, many=True),
        responses={
            **ok_doc(models.batch_prediction),
            413: {"description": f"more than {max_batch_rows} rows"},
            **bad_input,
            **unavailable,
        },
    )
    async def predict_batch(request: Request) -> Any:
        """Predict for a list of rows (one pipeline call for a batchable pipeline)."""
        start = time.perf_counter()
        if not service.ready:
            return _json({"detail": "the service is not ready"}, 503)
        p = service.predictor
        try:
            body = models.parse(models.batch_adapter, await request.body())
            if len(body) > max_batch_rows:
                return _json(
                    {
                        "detail": f"a batch holds at most {max_batch_rows} rows, but got "
                        f"{len(body)}; split it or raise max_batch_rows"
                    },
                    413,
                )
            rows = [models.to_row(schema, b) for b in body]
            values = await run_in_threadpool(p.predict_many, rows, validate=False)
        except Exception as exc:
            if isinstance(exc, InvalidBody) or _is_input_problem(exc):
                return _unprocessable(exc)
            raise
        if p.batchable and rows:
            metrics.batch_size.observe(len(rows))
        rid = _request_id()
        ids = [f"{rid}-{i}" for i in range(len(rows))]
        for i, row, value in zip(ids, rows, values, strict=True):
            log_prediction(i, p, start, row, value)
        return _json(
            {
                "request_id": rid,
                "request_ids": ids,
                "model": p.name,
                "version": p.version,
                "predictions": values,
            }
        )

    @api.post(
        "/feedback",
        status_code=202,
        openapi_extra=body_doc(models.feedback),
        responses={202: {"description": "Accepted"}, **bad_input},
    )
    async def feedback(request: Request) -> Any:
        """Record the ground truth for an earlier prediction's ``request_id``."""
        try:
            body = models.parse(models.feedback_adapter, await request.body())
        except InvalidBody as exc:
            return _unprocessable(exc)
        if service.writer is not None:
            service.writer.submit_feedback(body.request_id, body.ground_truth, time.time())
        return _json({"request_id": body.request_id, "accepted": True}, 202)

    @api.get("/health")
    async def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @api.get("/ready", responses=unavailable)
    async def ready() -> Any:
        """Readiness: a model is loaded and the service accepts predictions."""
        if not service.ready:
            return _json({"status": "not ready"}, 503)
        return {"status": "ready", "version": service.predictor.version}

    @api.get("/version")
    async def version() -> dict[str, Any]:
        """Model name, version, alias and code version being served."""
        return service.describe()

    @api.get("/metrics", response_class=Response)
    async def prometheus() -> Any:
        """Prometheus metrics."""
        if service.writer is not None:
            metrics.log_pending.set(service.writer.pending)
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    @api.post("/admin/reload", responses={401: {"description": "missing or wrong admin token"}})
    async def reload(request: Request, force: bool = Body(False, embed=True)) -> Any:
        """Load what the model reference points to now (needs the admin token)."""
        del request
        before = service.predictor.version
        try:
            changed = await service.reload(force=force)
        except Exception as exc:
            return _json(
                {"detail": f"reload failed, still serving {before}: {type(exc).__name__}: {exc}"},
                409,
            )
        return {"reloaded": changed, **service.describe()}

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            spec = FastAPI.openapi(api)
            spec.setdefault("components", {}).setdefault("schemas", {}).update(models.components)
        return api.openapi_schema or {}

    api.openapi = openapi  # type: ignore[method-assign]
    api.add_middleware(
        ServiceGate,
        metrics=metrics,
        max_body_bytes=max_body_bytes,
        admin_token=admin_token,
        api_token=api_token,
    )
    api.state.hyperflow = service
    return api


_PREFIX = secrets.token_hex(10)
_COUNTER = itertools.count()


def _request_id() -> str:
    """A unique id: a random per-process prefix and a counter (no syscall per request)."""
    return f"{_PREFIX}{next(_COUNTER):012x}"


INLINE_BELOW_S = 0.002
"""A predictor whose calls average less than this runs on the event loop (no thread hop)."""


class _Timing:
    """Moving average of a predictor's call time: fast models skip the thread pool."""

    def __init__(self) -> None:
        self.predictor: Predictor | None = None
        self.average_s = float("inf")

    def fast(self, p: Predictor) -> bool:
        return p is self.predictor and self.average_s < INLINE_BELOW_S

    def call(self, p: Predictor, row: Any) -> Any:
        t0 = time.perf_counter()
        value = p.predict_one(row, validate=False)
        took = time.perf_counter() - t0
        if p is not self.predictor:  # a new model: measure it afresh
            self.predictor, self.average_s = p, took
        else:
            self.average_s = 0.9 * self.average_s + 0.1 * took
        return value

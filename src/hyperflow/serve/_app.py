"""``create_app``: a FastAPI service for one model, composed from routers.

The routes live in ``_routes`` (prediction, feedback, probes, admin) and
``_docs``; they share one ``ServeContext`` through FastAPI dependencies. The
``ServiceGate`` in front checks framing and body size and records metrics.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any

from hyperflow._errors import ServeError
from hyperflow.registry import ModelSource, Predictor
from hyperflow.serve._batcher import MicroBatcher
from hyperflow.serve._cache import ResponseCache, ServedCache, get_response_cache
from hyperflow.serve._lifespan import Lifespan, lifespan_of
from hyperflow.serve._schema import build_models, input_defaults
from hyperflow.serve._service import Service, resolve_source
from hyperflow.serve._writer import DEFAULT_LOG_QUEUE_SIZE
from hyperflow.store import PredictionLog, get_prediction_log

if TYPE_CHECKING:
    from fastapi import FastAPI

    from hyperflow.serve._context import ServeContext

__all__ = [
    "DEFAULT_BODY_TIMEOUT_S",
    "DEFAULT_FEEDBACK_TTL_S",
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
DEFAULT_BODY_TIMEOUT_S = 30.0
DEFAULT_FEEDBACK_TTL_S = 30 * 24 * 3600.0
_log = logging.getLogger("hyperflow.serve")
_OPTIONS = (  # create_app's settings a service app reads
    "max_batch_size", "max_wait_ms", "max_body_bytes", "log_queue_size", "admin_token",
    "api_token", "access_log", "body_timeout_s", "rate_limit", "rate_limit_burst",
    "poll_interval_s",
)


def _require_fastapi() -> None:
    try:
        import fastapi  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ServeError(
            "serving needs FastAPI, uvicorn and prometheus-client: pip install 'hyperflow[serve]'"
        ) from exc


def _check_options(
    ints: dict[str, int], max_wait_ms: float, positive: dict[str, float | None]
) -> None:
    problems = [f"{k} must be >= 1, but got {v}" for k, v in ints.items() if v < 1]
    if max_wait_ms < 0:
        problems.append(f"max_wait_ms must be >= 0, but got {max_wait_ms}")
    problems += [
        f"{k} must be > 0 (or None), but got {v}"
        for k, v in positive.items()
        if v is not None and not v > 0
    ]
    if problems:
        raise ServeError("invalid serving options: " + "; ".join(problems))


def _token(given: str | None, variable: str) -> str | None:
    return given if given is not None else os.environ.get(variable) or None


def _lifespan(
    context: ServeContext,
    log_queue_size: int,
    max_batch_size: int,
    max_wait_ms: float,
    poll_interval_s: float | None,
) -> Lifespan:
    service = context.service

    def start() -> None:
        if service.predictor.batchable and max_batch_size > 1:
            service.batcher = MicroBatcher(
                max_batch_size, max_wait_ms, on_batch=service.metrics.batch_size.observe
            )

    async def stop() -> None:
        if service.batcher is not None:
            await service.batcher.close()
        if service.traffic is not None:  # shadow copies queued so far reach the log
            await asyncio.to_thread(service.traffic.close)
        if context.cache is not None:
            context.cache.close()

    return lifespan_of(
        service, context.log, log_queue_size=log_queue_size, poll_s=poll_interval_s,
        start=start, stop=stop,
    )


def _context(
    service: Service,
    log: PredictionLog,
    max_batch_rows: int,
    *,
    tokens: tuple[str | None, str | None],
    feedback_ttl_s: float | None,
    rate: tuple[float | None, int | None],
) -> ServeContext:
    """The state the routes share (tokens default to the environment)."""
    from hyperflow.serve._context import ServeContext
    from hyperflow.serve._guards import IssuedIds, RateLimiter

    first = service.predictor
    models = build_models(
        first.schema, first.name, defaults=input_defaults(first), max_batch_rows=max_batch_rows
    )
    rate_limit, burst = rate
    return ServeContext(
        service=service,
        models=models,
        log=log,
        max_batch_rows=max_batch_rows,
        admin_token=_token(tokens[0], "HYPERFLOW_ADMIN_TOKEN"),
        api_token=_token(tokens[1], "HYPERFLOW_API_TOKEN"),
        issued=IssuedIds(feedback_ttl_s),
        limiter=RateLimiter(rate_limit, burst) if rate_limit else None,
    )


def _add_routes(api: FastAPI, router: Any) -> None:
    """Add ``router``'s routes to the app itself, with their dependencies and docs.

    The same as ``api.include_router(router)`` without a prefix, but flat: FastAPI
    resolves an included router lazily on every request, which costs more than
    the whole gate on a fast model.
    """
    for route in router.routes:
        api.router.add_api_route(
            route.path,
            route.endpoint,
            methods=list(route.methods),
            dependencies=route.dependencies,
            responses=route.responses,
            status_code=route.status_code,
            response_class=route.response_class,
            include_in_schema=route.include_in_schema,
            openapi_extra=route.openapi_extra,
            name=route.name,
            description=route.description,
        )


def _build(context: ServeContext, lifespan: Any, gate: dict[str, Any]) -> FastAPI:
    from fastapi import FastAPI
    from fastapi.routing import APIRoute

    from hyperflow.serve._asgi import ServiceGate
    from hyperflow.serve._docs import docs_router
    from hyperflow.serve._routes import (
        admin_router,
        feedback_router,
        guards,
        prediction_router,
        probe_router,
    )

    first, models = context.service.predictor, context.models
    api = FastAPI(
        title=f"{first.name} (hyperflow)",
        version=first.version or "0",
        description=f"Predictions of `{first.name}`, served by hyperflow.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    checks = guards(context.api_token, context.limiter.rate if context.limiter else None)
    routers = [
        prediction_router(models, checks),
        feedback_router(models, checks),
        probe_router(),
        admin_router(),
        docs_router(api.title),
    ]
    for router in routers:
        _add_routes(api, router)
    routes = [route for router in routers for route in router.routes]

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            spec = FastAPI.openapi(api)
            spec.setdefault("components", {}).setdefault("schemas", {}).update(models.components)
        return api.openapi_schema or {}

    api.openapi = openapi  # type: ignore[method-assign]

    def route_of(scope: Any) -> str | None:
        from starlette.routing import Match

        for route in routes:
            if route.matches(scope)[0] is not Match.NONE:
                return getattr(route, "path", None)
        return None

    direct = {  # no token or rate limit to check: called by the gate without the router
        r.path: r
        for r in routers[0].routes
        if isinstance(r, APIRoute) and r.path == "/predict" and not r.dependencies
    }
    api.add_middleware(
        ServiceGate, metrics=context.service.metrics, route_of=route_of, direct=direct, **gate
    )
    api.state.hyperflow = context.service
    api.state.hyperflow_context = context
    return api


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
    access_log: bool = True,
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
    feedback_ttl_s: float | None = DEFAULT_FEEDBACK_TTL_S,
    rate_limit: float | None = None,
    rate_limit_burst: int | None = None,
    cache: str | ResponseCache | None = None,
) -> FastAPI:
    """A FastAPI (ASGI) app serving ``model``; host it with any ASGI server.

    Args:
        model: ``"name@alias"`` (resolved by the registry), a ``Predictor``, or a
            ``ModelSource`` (polled for hot reload); a registered ``hf.Service`` (or a
            ``ServiceClient``) gets one ``POST /<endpoint>`` route per endpoint instead
            of ``/predict`` (see ``serve/_endpoints.py``).
        max_batch_size: for a batchable pipeline, rows coalesced into one call at
            most (1 turns micro-batching off).
        max_wait_ms: longest wait for a micro-batch to fill.
        max_batch_rows: rows accepted by ``POST /predict/batch`` (more: 413; the
            schema's ``maxItems``).
        poll_interval_s: how often the source is checked for a moved alias
            (``None`` or 0: only ``POST /admin/reload``).
        prediction_log: where predictions go (``None``: the process default log).
        log_queue_size: predictions queued for the log at most (beyond: dropped, counted).
        max_body_bytes: request bodies larger than this get 413 (bytes received are
            counted, whatever the headers say).
        admin_token: token of ``/admin/*`` (default ``$HYPERFLOW_ADMIN_TOKEN``; unset:
            admin routes answer 401).
        api_token: token of the prediction and feedback routes (default
            ``$HYPERFLOW_API_TOKEN``; unset: open).
        access_log: one structured (JSON) line per request on the
            ``hyperflow.serve.access`` logger.
        body_timeout_s: a request body must arrive within this time (else 408), so
            trickling clients cannot hold a connection.
        feedback_ttl_s: ``/feedback`` accepts a ``request_id`` this long after its
            prediction (``None``: forever); unknown or expired ids get 404.
        rate_limit: requests per second per client (by address) on the prediction and
            feedback routes; beyond it 429 with ``Retry-After`` (``None``: no limit).
        rate_limit_burst: requests a client may send at once (default: ``rate_limit``).
        cache: a response cache for a deterministic pipeline (``None``: off):
            ``"memory"`` (an LRU per worker), ``"redis://host:port/db"`` (shared by
            workers and replicas) or a ``ResponseCache``. ``POST /predict`` answers a
            row seen before from it (header ``x-hyperflow-cache: hit``); hits are
            logged with a ``request_id`` ending in ``-cached``.

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
    _require_fastapi()
    _check_options(
        {
            "max_batch_size": max_batch_size,
            "max_batch_rows": max_batch_rows,
            "max_body_bytes": max_body_bytes,
        },
        max_wait_ms,
        {
            "body_timeout_s": body_timeout_s,
            "feedback_ttl_s": feedback_ttl_s,
            "rate_limit": rate_limit,
        },
    )
    from hyperflow.serve._endpoints import create_service_app, service_client

    client = service_client(model)
    if client is not None:  # an hf.Service: one route per endpoint (serve/_endpoints.py)
        fields = {f for p in client.endpoints.values() for f in p.schema.fields}
        options = {k: v for k, v in locals().items() if k in _OPTIONS}
        log = get_prediction_log(prediction_log, fields=fields)
        ref = model if isinstance(model, str) else None
        return create_service_app(client, prediction_log=log, options=options, ref=ref)
    service = Service(resolve_source(model))
    context = _context(
        service,
        get_prediction_log(prediction_log, fields=service.predictor.schema.fields),
        max_batch_rows,
        tokens=(admin_token, api_token),
        feedback_ttl_s=feedback_ttl_s,
        rate=(rate_limit, rate_limit_burst),
    )
    backend = get_response_cache(cache)
    if backend is not None:
        context.cache = ServedCache(backend)
    lifespan = _lifespan(context, log_queue_size, max_batch_size, max_wait_ms, poll_interval_s)
    gate = {
        "max_body_bytes": max_body_bytes,
        "body_timeout_s": body_timeout_s,
        "access_log": access_log,
    }
    return _build(context, lifespan, gate)

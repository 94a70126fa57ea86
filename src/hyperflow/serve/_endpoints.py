"""The app of an ``hf.Service``: one typed ``POST /<endpoint>`` route per endpoint.

Each endpoint has its own request and response schema in the OpenAPI document, its
own ``route`` label in the request metrics and ``endpoint`` label in
``hyperflow_endpoint_calls``, prediction-log rows under the model name
``"<service>/<endpoint>"``, and its own micro-batching setting (``hf.Service(...,
batching=...)``, else the server's). Endpoints with ``bytes`` inputs take multipart
uploads (``_uploads``). The probes (``/health``, ``/ready``, ``/version``,
``/metrics``) and the docs pages are the single-model app's. No handler here reads
its annotations lazily: FastAPI inspects them.
"""

import asyncio
import difflib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from hyperflow._errors import NodeError, ServeError
from hyperflow.core import Batching
from hyperflow.registry import Predictor, ServiceClient
from hyperflow.serve._asgi import ASGIApp, ServiceGate
from hyperflow.serve._batcher import MicroBatcher
from hyperflow.serve._guards import IssuedIds, RateLimiter, new_request_id
from hyperflow.serve._lifespan import Lifespan, lifespan_of
from hyperflow.serve._metrics import ServeMetrics
from hyperflow.serve._peers import ReloadBroadcast
from hyperflow.serve._routes import _is_input_problem, _unprocessable, json_response
from hyperflow.serve._schema import ApiModels, InvalidBody, build_models, input_defaults
from hyperflow.serve._service import freeze_heap, thaw_heap
from hyperflow.serve._uploads import UploadedFile, file_fields, log_row, multipart_body, read_form
from hyperflow.serve._writer import LogWriter
from hyperflow.store import PredictionLog

__all__ = ["EndpointsContext", "EndpointsService", "create_service_app", "service_client"]

_log = logging.getLogger("hyperflow.serve")


@dataclass
class Endpoint:
    """One endpoint as served: its predictor, models, file fields and batcher."""

    name: str
    predictor: Predictor
    models: ApiModels
    response: Any
    files: list[str]
    batching: Batching
    batcher: MicroBatcher | None = None


class EndpointsService:
    """What the app holds (the probes read ``ready``, ``predictor``, ``describe()``; the
    admin route calls ``reload``)."""

    def __init__(
        self, client: ServiceClient, metrics: ServeMetrics, ref: str | None = None
    ) -> None:
        from prometheus_client import Counter

        self.client = client
        self.predictor = client  # name, version, alias, code_version: what probes show
        self.ref = ref
        self.metrics = metrics
        self.calls = Counter(
            "hyperflow_endpoint_calls", "Endpoint calls by endpoint and outcome",
            ["endpoint", "outcome"], registry=metrics.registry,
        )
        metrics.set_model(client.name, client.version, client.alias, client.code_version)
        self.ready = False
        self.writer: LogWriter | None = None
        self.endpoints: dict[str, Endpoint] = {}
        self._lock: asyncio.Lock | None = None
        self.broadcast: ReloadBroadcast | None = None  # with --workers (see ``_peers``)

    def describe(self) -> dict[str, Any]:
        from hyperflow import __version__

        c = self.client
        return {
            "model": c.name, "version": c.version, "alias": c.alias,
            "code_version": c.code_version, "endpoints": list(c.endpoints),
            "hyperflow": __version__,
        }

    async def reload(self, *, force: bool = False) -> bool:
        """Serve the version the alias points to now, if it moved (or with ``force``).

        Refused (``ServeError``, the current version stays) when the new version's
        endpoints or their request/response types differ. In-flight requests finish on
        the predictor they started with.
        """
        if self.ref is None:
            return False
        from hyperflow import registry

        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            current = (await asyncio.to_thread(registry.get, self.ref)).version
            if current == self.client.version and not force:
                return False
            ref = f"{self.client.name}:{current}"
            new = await asyncio.to_thread(registry.load, ref)
            try:
                _check_same_schema(self.client, new, ref)
            except ServeError:
                self.metrics.reloads.labels("refused").inc()
                raise
            assert isinstance(new, ServiceClient)
            new.alias = self.client.alias
            before, self.client, self.predictor = self.client.version, new, new
            for name, ep in self.endpoints.items():
                ep.predictor = new.endpoints[name]
            self.metrics.set_model(new.name, new.version, new.alias, new.code_version)
            thaw_heap()  # the old version is collectable again; the new one joins the frozen
            await asyncio.to_thread(freeze_heap)
            self.metrics.reloads.labels("ok").inc()
            _log.info("hyperflow serve: reloaded %s: %s -> %s", new.name, before, new.version)
            return True

    async def poll(self, interval_s: float) -> None:
        """Reload whenever the alias moves; failures are logged and polling goes on."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.reload()
            except Exception as exc:
                _log.warning("hyperflow serve: reload failed: %s: %s", type(exc).__name__, exc)


def _check_same_schema(old: ServiceClient, new: Any, ref: str) -> None:
    """Raise ``ServeError`` unless ``new`` is a service with ``old``'s endpoints and types."""
    def shape(c: ServiceClient) -> dict[str, Any]:
        return {
            e: (dict(p.schema.fields), p.schema.output_type) for e, p in c.endpoints.items()
        }

    if not isinstance(new, ServiceClient) or shape(new) != shape(old):
        raise ServeError(
            f"{ref} has other endpoints or endpoint types than the service being served "
            f"({list(old.endpoints)}); start a new server for it"
        )


@dataclass
class EndpointsContext:
    """What the routes share (the guards read ``api_token`` and ``limiter``)."""

    service: EndpointsService
    endpoints: dict[str, Endpoint]
    log: PredictionLog
    max_body_bytes: int
    max_upload_bytes: int
    api_token: str | None = None
    admin_token: str | None = None
    limiter: RateLimiter | None = None
    issued: IssuedIds = field(default_factory=lambda: IssuedIds(None))


def service_client(model: Any) -> ServiceClient | None:
    """The service ``model`` names (a ``ServiceClient``, or a registered service's
    ``name@alias``), or ``None`` for a single-pipeline model."""
    if isinstance(model, ServiceClient):
        return model
    if not isinstance(model, str):
        return None
    from hyperflow import registry

    mv = registry.get(model)
    if not (mv.lineage.get("predict") or {}).get("endpoints"):
        return None
    client = registry.load(model)
    return client if isinstance(client, ServiceClient) else None


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_") if p)


def _endpoint(name: str, p: Predictor, batching: Batching) -> Endpoint:
    from pydantic import create_model

    models = build_models(p.schema, name, defaults=input_defaults(p))
    out = models.output_type
    response: Any = create_model(
        f"{_camel(name)}Response", request_id=(str, ...), service=(str, ...),
        endpoint=(str, ...), version=(str | None, ...), result=(out | None, ...),
    )
    return Endpoint(name, p, models, response, file_fields(p.schema.fields), batching)


def _components(endpoints: dict[str, Endpoint]) -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    pairs: list[Any] = []
    for ep in endpoints.values():
        pairs += [(ep.models.row, "validation"), (ep.response, "serialization")]
    _, top = models_json_schema(pairs, ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = top.get("$defs", {})
    return defs


async def _request_row(
    request: Request, context: EndpointsContext, ep: Endpoint
) -> tuple[Any, list[UploadedFile]]:
    """The validated row of a request (JSON body, or multipart form with files)."""
    from pydantic import ValidationError

    from hyperflow.serve._context import json_body

    models, schema = ep.models, ep.predictor.schema
    if not ep.files:
        body = await json_body(request)
        if len(body) > context.max_body_bytes:
            raise HTTPException(413, f"the JSON body exceeds {context.max_body_bytes} bytes")
        return models.to_row(schema, models.parse(models.row_adapter, body)), []
    form, uploads = await read_form(
        request, schema.fields, ep.files, context.max_upload_bytes
    )
    try:
        parsed = models.row_adapter.validate_python(form)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise InvalidBody(
            [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in errors]
        ) from None
    return models.to_row(schema, parsed), uploads


def _failure(exc: Exception) -> Response | None:
    """The 4xx answer for a request the endpoint could not serve (``None``: a server error)."""
    cause = exc.__cause__ if isinstance(exc, NodeError) else None
    if isinstance(cause, LookupError):
        detail = f"not found: {type(cause).__name__}: {cause}"
        return json_response({"detail": detail}, 404)
    if _is_input_problem(exc):
        return _unprocessable(exc)
    return None


async def _call(ep: Endpoint, row: Any) -> Any:
    if ep.batcher is not None:
        return await ep.batcher.submit(ep.predictor, row)
    return await run_in_threadpool(ep.predictor.predict_one, row, validate=False)


def _record(
    context: EndpointsContext, ep: Endpoint, start: float, row: Any, uploads: list[UploadedFile],
    value: Any,
) -> str:
    rid = new_request_id()
    service = context.service
    service.metrics.observe_predictions([value])
    service.calls.labels(ep.name, "ok").inc()
    context.issued.add([rid])
    if service.writer is not None:
        latency = (time.perf_counter() - start) * 1000.0
        p = ep.predictor
        service.writer.submit(rid, p.name, p.version, time.time(), latency,
                              log_row(row, uploads), value)
    return rid


def _handler(name: str) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        start = time.perf_counter()
        context: EndpointsContext = request.app.state.hyperflow_context
        if not context.service.ready:
            raise HTTPException(503, "the service is not ready")
        ep = context.endpoints[name]
        try:
            row, uploads = await _request_row(request, context, ep)
            value = await _call(ep, row)
        except HTTPException:
            context.service.calls.labels(name, "refused").inc()
            raise
        except Exception as exc:
            answer = _failure(exc)
            context.service.calls.labels(name, "refused" if answer else "failed").inc()
            if answer is None:
                raise
            return answer
        rid = _record(context, ep, start, row, uploads, value)
        c = context.service.client
        return json_response(
            {"request_id": rid, "service": c.name, "endpoint": name, "version": c.version,
             "result": value}
        )

    endpoint.__name__ = name
    return endpoint


def _unknown(known: list[str], service: str) -> Callable[[str], Any]:
    async def unknown_endpoint(endpoint: str) -> Response:
        close = difflib.get_close_matches(endpoint, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        detail = (
            f"service {service!r} has no endpoint {endpoint!r}{hint}; its endpoints are "
            f"{known}, each served at POST /<endpoint>"
        )
        return json_response({"detail": detail}, 404)

    return unknown_endpoint


def _route_docs(ep: Endpoint, limit: int) -> dict[str, Any]:
    """``openapi_extra`` and ``responses`` of one endpoint's route."""
    models = ep.models
    if ep.files:
        row_schema = _components({ep.name: ep})[models.row.__name__]
        body = multipart_body(ep.predictor.schema.fields, ep.files, row_schema, limit)
    else:
        json_body = {"application/json": {"schema": models.ref(models.row)}}
        body = {"required": True, "content": json_body}
    ok = {"application/json": {"schema": models.ref(ep.response)}}
    responses: dict[int | str, dict[str, Any]] = {
        200: {"description": "OK", "content": ok},
        404: {"description": "the endpoint raised LookupError (e.g. an unknown id)"},
        415: {"description": "wrong content type (JSON, or multipart for file inputs)"},
        422: {"description": "a field is missing or invalid, or a file is empty"},
        503: {"description": "the service is starting or stopping"},
    }
    if ep.files:
        responses[413] = {"description": f"a file is larger than {limit} bytes"}
    return {"openapi_extra": {"requestBody": body}, "responses": responses}


def _lifespan(
    context: EndpointsContext, log_queue_size: int, batching: Batching, poll_s: float | None
) -> Lifespan:
    service = context.service

    def start() -> None:
        for ep in context.endpoints.values():
            size = ep.batching.max_batch_size or batching.max_batch_size or 1
            wait = ep.batching.max_wait_ms
            wait = wait if wait is not None else batching.max_wait_ms or 0.0
            if ep.predictor.batchable and size > 1:
                ep.batcher = MicroBatcher(size, wait, on_batch=service.metrics.batch_size.observe)

    async def stop() -> None:
        for ep in context.endpoints.values():
            if ep.batcher is not None:
                await ep.batcher.close()

    return lifespan_of(
        service, context.log, log_queue_size=log_queue_size,
        poll_s=poll_s if service.ref is not None else None, start=start, stop=stop,
    )


class _UploadGate(ServiceGate):
    """The gate of a service app: its body limit leaves room for the largest upload."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: ServeMetrics,
        max_body_bytes: int,
        body_timeout_s: float,
        access_log: bool,
        upload_bytes: int,
    ) -> None:
        super().__init__(
            app, metrics=metrics, max_body_bytes=max_body_bytes, body_timeout_s=body_timeout_s,
            access_log=access_log,
        )
        self.upload_bytes = upload_bytes

    def _too_large(self) -> str:
        return (
            f"request body exceeds {self.max_body_bytes} bytes: files are accepted up to "
            f"{self.upload_bytes} bytes (max_upload_bytes), JSON bodies up to max_body_bytes"
        )


def _app(context: EndpointsContext, lifespan: Any, gate: dict[str, Any]) -> FastAPI:
    from hyperflow.serve._app import _add_routes
    from hyperflow.serve._docs import docs_router
    from hyperflow.serve._routes import admin_router, guards, probe_router

    c = context.service.client
    api = FastAPI(
        title=f"{c.name} (hyperflow service)", version=c.version or "0",
        description=c.service.description or f"Endpoints of service `{c.name}`: "
        + ", ".join(f"`POST /{e}`" for e in c.endpoints),
        lifespan=lifespan, docs_url=None, redoc_url=None,
    )
    checks = guards(context.api_token, context.limiter.rate if context.limiter else None)
    for name, ep in context.endpoints.items():
        doc = ep.predictor.pipeline.name
        api.router.add_api_route(
            f"/{name}", _handler(name), methods=["POST"], dependencies=checks, name=name,
            summary=f"Endpoint {name}", description=f"Runs pipeline `{doc}`.",
            **_route_docs(ep, context.max_upload_bytes),
        )
    for router in (probe_router(), admin_router(), docs_router(api.title)):
        _add_routes(api, router)
    api.router.add_api_route(
        "/{endpoint}", _unknown(list(context.endpoints), c.name), methods=["POST"],
        include_in_schema=False,
    )
    components = _components(context.endpoints)

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            spec = FastAPI.openapi(api)
            spec.setdefault("components", {}).setdefault("schemas", {}).update(components)
        return api.openapi_schema or {}

    api.openapi = openapi  # type: ignore[method-assign]
    api.add_middleware(_UploadGate, metrics=context.service.metrics, **gate)
    api.state.hyperflow = context.service
    api.state.hyperflow_context = context
    return api


def create_service_app(
    client: ServiceClient,
    *,
    prediction_log: PredictionLog,
    options: dict[str, Any],
    ref: str | None = None,
) -> FastAPI:
    """The app serving every endpoint of ``client`` (called by ``create_app``).

    ``options`` are ``create_app``'s: ``max_batch_size``/``max_wait_ms`` are the
    default micro-batching of endpoints that ``hf.Service(batching=...)`` leaves
    unset; ``max_body_bytes`` bounds JSON bodies, the service's ``max_upload_bytes``
    each file (the request limit is raised to fit one). With ``ref`` (``name@alias``)
    the alias is polled every ``poll_interval_s`` and ``POST /admin/reload`` applies a
    move at once, as for a single model.
    """
    from hyperflow.serve._app import _token

    metrics = ServeMetrics(None)
    upload = client.service.max_upload_bytes
    endpoints = {
        name: _endpoint(name, p, client.service.batching.get(name, Batching()))
        for name, p in client.endpoints.items()
    }
    rate, burst = options["rate_limit"], options["rate_limit_burst"]
    context = EndpointsContext(
        EndpointsService(client, metrics, ref), endpoints, prediction_log,
        options["max_body_bytes"], upload,
        api_token=_token(options["api_token"], "HYPERFLOW_API_TOKEN"),
        admin_token=_token(options["admin_token"], "HYPERFLOW_ADMIN_TOKEN"),
        limiter=RateLimiter(rate, burst) if rate else None,
    )
    lifespan = _lifespan(
        context, options["log_queue_size"],
        Batching(options["max_batch_size"], options["max_wait_ms"]), options["poll_interval_s"],
    )
    context.service.endpoints = endpoints
    uploads = any(ep.files for ep in endpoints.values())
    gate = {
        "max_body_bytes": max(options["max_body_bytes"], upload + 1_000_000 if uploads else 0),
        "body_timeout_s": options["body_timeout_s"], "access_log": options["access_log"],
        "upload_bytes": upload,
    }
    return _app(context, lifespan, gate)

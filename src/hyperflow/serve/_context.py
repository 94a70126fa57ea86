"""What the routes of one app share, and the FastAPI dependencies that hand it out.

Every route reads its state through ``Depends(get_context)``, so a route can be
tested alone: include its router in a bare ``FastAPI()`` and override
``get_context``. Tokens and rate limits are dependencies of the routers, checked
where the route is resolved: no path prefix, mount or proxy can bypass them.
Bodies are read by ``json_body`` inside the handlers (a dependency per request
costs more than the whole gate).
"""

import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from hyperflow.registry import Predictor
from hyperflow.serve._cache import ServedCache
from hyperflow.serve._guards import IssuedIds, RateLimiter, token_matches
from hyperflow.serve._schema import ApiModels
from hyperflow.serve._service import Service
from hyperflow.store import PredictionLog

__all__ = [
    "INLINE_BELOW_S",
    "CallTiming",
    "Context",
    "ServeContext",
    "context_of",
    "get_context",
    "json_body",
    "rate_limited",
    "ready_or_503",
    "require_admin_token",
    "require_api_token",
]

_BEARER = {"WWW-Authenticate": "Bearer"}


@dataclass
class ServeContext:
    """The state shared by the routes of one app."""

    service: Service
    models: ApiModels
    log: PredictionLog
    max_batch_rows: int
    admin_token: str | None = None
    api_token: str | None = None
    issued: IssuedIds = field(default_factory=lambda: IssuedIds(None))
    limiter: RateLimiter | None = None
    inline_below_bytes: int = 64_000
    """Bodies up to this size are validated on the event loop; larger ones in a thread."""
    timing: "CallTiming" = field(default_factory=lambda: CallTiming())
    cache: ServedCache | None = None
    """The response cache (``create_app(cache=...)``); ``None``: off."""


INLINE_BELOW_S = 0.002
"""A predictor whose calls average less than this runs on the event loop (no thread hop)."""


class CallTiming:
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


async def get_context(request: Request) -> ServeContext:
    """The context of the app that resolved this request (set by ``create_app``)."""
    context: ServeContext = request.app.state.hyperflow_context
    return context


Context = Annotated[ServeContext, Depends(get_context)]


def context_of(request: Request) -> ServeContext:
    """``get_context`` for the prediction routes, without a dependency (FastAPI solving one
    costs a measurable share of a fast model's request); an override of ``get_context``
    in ``app.dependency_overrides`` is honoured as ``Depends`` would."""
    override = request.app.dependency_overrides.get(get_context)
    if override is not None:
        context: ServeContext = override()
        return context
    return request.app.state.hyperflow_context  # type: ignore[no-any-return]


def _check(request: Request, token: str) -> None:
    if not token_matches(request.headers.get("authorization"), token):
        raise HTTPException(
            401, "missing or wrong token: send 'Authorization: Bearer <token>'", _BEARER
        )


async def require_admin_token(request: Request, context: Context) -> None:
    """401 unless the admin token is configured and sent."""
    if context.admin_token is None:
        raise HTTPException(
            401,
            "admin endpoints are disabled: set HYPERFLOW_ADMIN_TOKEN (or admin_token=) when "
            "starting the service",
        )
    _check(request, context.admin_token)


async def require_api_token(request: Request, context: Context) -> None:
    """401 when an API token is configured and not sent."""
    if context.api_token is not None:
        _check(request, context.api_token)


async def rate_limited(request: Request, context: Context) -> None:
    """429 when this client went over its rate (only with ``rate_limit=``)."""
    if context.limiter is None:
        return
    client = request.client.host if request.client else "unknown"
    wait = context.limiter.wait_s(client)
    if wait > 0:
        raise HTTPException(
            429,
            f"too many requests from {client}: at most {context.limiter.rate:g} per second; "
            f"retry in {wait:.1f} s",
            {"Retry-After": str(max(1, round(wait)))},
        )


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def json_body(request: Request) -> bytes:
    """The raw body of a JSON request; 415 for any other content type."""
    content_type = request.headers.get("content-type")
    if not _is_json(content_type):
        raise HTTPException(
            415,
            f"the body must be JSON, sent with 'Content-Type: application/json', but the "
            f"request says {content_type or 'no content type'!r}",
        )
    return await request.body()


def ready_or_503(context: ServeContext) -> Predictor:
    """The served predictor; 503 while the service starts or stops."""
    if not context.service.ready:
        raise HTTPException(503, "the service is not ready")
    return context.service.predictor

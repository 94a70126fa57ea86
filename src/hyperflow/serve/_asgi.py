"""An ASGI wrapper in front of the FastAPI app: request framing, body limits, metrics, access log.

Kept as plain ASGI (no ``BaseHTTPMiddleware``) because it runs on every request.
It reads the whole body before the app sees it, counting the bytes actually
received (whatever ``Content-Length`` says), within a time limit. Tokens are not
checked here but by the routers' dependencies, where the route is resolved.

``direct`` routes (``POST /predict`` when it has no token or rate limit to check) are
called from here without FastAPI's router and exception layers, which cost a fast
model's request as much as the model: the endpoint takes only the ``Request``, and an
``HTTPException`` it raises is answered by the app's own handler, as FastAPI would.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from hyperflow.serve._guards import token_matches
from hyperflow.serve._metrics import ServeMetrics

__all__ = ["ACCESS_LOGGER", "KNOWN_METHODS", "REQUEST_FIELDS", "ServiceGate", "token_matches"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
"""Methods kept as the ``method`` label of the request metrics; any other counts as ``other``."""
ACCESS_LOGGER = "hyperflow.serve.access"
REQUEST_FIELDS = "hyperflow.log"
"""Scope key where a route leaves fields for the access log line (request_id, model, ...)."""
CLIENT_CLOSED = 499  # nginx's "client closed request": counted, but not as a server error
_log = logging.getLogger("hyperflow.serve")
_access = logging.getLogger(ACCESS_LOGGER)
_CLOSE = [(b"connection", b"close")]


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class _Disconnected(Exception):
    pass


async def _reply(send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + extra})
    await send({"type": "http.response.body", "body": body})


def _framing(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """The declared length and whether the body is chunked; 400 on ambiguous framing."""
    lengths = [v for k, v in headers if k == b"content-length"]
    chunked = any(k == b"transfer-encoding" for k, _ in headers)
    if lengths and chunked:
        raise _Refused(400, "a request may not carry both Content-Length and Transfer-Encoding")
    if len(set(lengths)) > 1:
        raise _Refused(400, "the request has several different Content-Length headers")
    if not lengths:
        return None, chunked
    try:
        size = int(lengths[0])
    except ValueError:
        raise _Refused(400, "Content-Length is not an integer") from None
    if size < 0:
        raise _Refused(400, "Content-Length is negative")
    return size, chunked


class ServiceGate:
    """Checks framing and body size, then records the request's route, status and latency.

    Args:
        app: the FastAPI app.
        metrics: where request counts and latencies go.
        max_body_bytes: bodies larger than this get 413 (counted as they arrive).
        body_timeout_s: the whole body must arrive within this time (else 408).
        access_log: write one structured line per request to ``hyperflow.serve.access``.
        route_of: the route template a request would reach (for requests refused here).
        direct: ``POST`` routes by path served without the router (see the module doc);
            their endpoints take the ``Request`` alone and have no dependencies.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: ServeMetrics,
        max_body_bytes: int,
        body_timeout_s: float = 30.0,
        access_log: bool = True,
        route_of: Callable[[Scope], str | None] | None = None,
        direct: dict[str, Any] | None = None,
    ) -> None:
        self.app = app
        self.direct = direct or {}
        self.route_of = route_of
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            body = await self._body(scope, receive)
            replay = body if body is not None else receive
            route = self._direct_route(scope)
            if route is None:
                await self.app(scope, replay, send_status)
            else:
                await _call_direct(route, scope, replay, send_status)
        except _Refused as exc:
            await _reply(send_status, exc.status, exc.detail, _CLOSE)
        except _Disconnected:
            status[0] = CLIENT_CLOSED
            _log.info("client %s disconnected before sending the whole body", _client(scope))
        finally:
            self._record(scope, status[0], time.perf_counter() - start)

    def _direct_route(self, scope: Scope) -> Any:
        """The route to call directly for this request, or ``None`` (through the app)."""
        if not self.direct or scope["method"] != "POST" or scope.get("root_path"):
            return None
        return self.direct.get(scope["path"])

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None)
        if route is None and self.route_of is not None:  # refused before routing
            route = self.route_of(scope)
        route = route or "other"
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
        self.metrics.observe_request(route, method, status, seconds)
        if self.access_log and _access.isEnabledFor(logging.INFO):
            line = {
                "client": _client(scope),
                "method": scope["method"][:16],
                "path": scope["path"][:512],
                "route": route,
                "status": status,
                "ms": round(seconds * 1000.0, 2),
                **scope.get(REQUEST_FIELDS, {}),  # request_id, model, version (predictions)
            }
            fields = {"event": "request", **line, "latency_ms": line.pop("ms")}
            # JSON escapes control characters: safe in terminals
            _access.info(json.dumps({**line, "ms": fields["latency_ms"]}), extra={"hf": fields})

    async def _body(self, scope: Scope, receive: Receive) -> Receive | None:
        """The body, read whole (as a replaying ``receive``), or ``None`` when there is none."""
        size, chunked = _framing(scope["headers"])
        if size is None and not chunked:
            return None  # HTTP/1.1: no Content-Length and no Transfer-Encoding means no body
        if size is not None and size > self.max_body_bytes:
            raise _Refused(413, self._too_large())
        try:
            async with asyncio.timeout(self.body_timeout_s):
                body = await self._read(receive)
        except TimeoutError:
            raise _Refused(
                408, f"the request body did not arrive within {self.body_timeout_s:g} s"
            ) from None
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body_bytes:
                raise _Refused(413, self._too_large())
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _too_large(self) -> str:
        return (
            f"request body exceeds {self.max_body_bytes} bytes; send fewer rows per request "
            "or raise max_body_bytes"
        )


async def _call_direct(route: Any, scope: Scope, receive: Receive, send: Send) -> None:
    """``route``'s endpoint for this request, as the router would call it."""
    from starlette.exceptions import HTTPException
    from starlette.requests import Request

    scope["route"], scope["endpoint"] = route, route.endpoint
    request = Request(scope, receive, send)
    try:
        response = await route.endpoint(request)
    except HTTPException as exc:
        handler = scope["app"].exception_handlers[HTTPException]
        response = await handler(request, exc)
    await response(scope, receive, send)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"

"""An ASGI wrapper in front of the FastAPI app: tokens, body size limit, request metrics.

Kept as plain ASGI (no ``BaseHTTPMiddleware``) because it runs on every request.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from hyperflow.serve._metrics import ServeMetrics

__all__ = ["ServiceGate"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREDICTION_ROUTES = frozenset({"/predict", "/predict/batch", "/feedback"})
KNOWN_ROUTES = frozenset(
    {
        *PREDICTION_ROUTES,
        "/health",
        "/ready",
        "/version",
        "/metrics",
        "/admin/reload",
        "/docs",
        "/redoc",
        "/openapi.json",
    }
)


def token_matches(header: bytes | None, token: str) -> bool:
    """Constant-time check of an ``Authorization: Bearer <token>`` header."""
    given = header or b""
    expected = b"Bearer " + token.encode()
    return hmac.compare_digest(given, expected)


async def _reply(send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + extra})
    await send({"type": "http.response.body", "body": body})


class ServiceGate:
    """Checks tokens and body size, then records the request's route, status and latency."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: ServeMetrics,
        max_body_bytes: int,
        admin_token: str | None,
        api_token: str | None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.admin_token = admin_token
        self.api_token = api_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        path: str = scope["path"]
        route = path if path in KNOWN_ROUTES else "other"
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            refusal = self._refuse(scope, path)
            if refusal is not None:
                code, detail, extra = refusal
                await _reply(send_status, code, detail, extra)
                return
            await self.app(scope, await self._limited(scope, receive, send_status), send_status)
        except _TooLarge:
            await _reply(send_status, 413, self._too_large_detail(), [])
        finally:
            self.metrics.observe_request(
                route, scope["method"], status[0], time.perf_counter() - start
            )

    def _too_large_detail(self) -> str:
        return (
            f"request body exceeds {self.max_body_bytes} bytes; send fewer rows per request "
            "or raise max_body_bytes"
        )

    def _refuse(self, scope: Scope, path: str) -> tuple[int, str, list[tuple[bytes, bytes]]] | None:
        auth = None
        if path.startswith("/admin") or (self.api_token and path in PREDICTION_ROUTES):
            for k, v in scope["headers"]:
                if k == b"authorization":
                    auth = v
            token = self.admin_token if path.startswith("/admin") else self.api_token
            if token is None:
                return (
                    401,
                    (
                        "admin endpoints are disabled: set HYPERFLOW_ADMIN_TOKEN (or admin_token=) "
                        "when starting the service"
                    ),
                    [],
                )
            if not token_matches(auth, token):
                return (
                    401,
                    ("missing or wrong token: send 'Authorization: Bearer <token>'"),
                    [(b"www-authenticate", b"Bearer")],
                )
        for k, v in scope["headers"]:
            if k == b"content-length":
                try:
                    size = int(v)
                except ValueError:
                    return 400, "Content-Length is not an integer", []
                if size > self.max_body_bytes:
                    return 413, self._too_large_detail(), []
        return None

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> Receive:
        """Without a Content-Length, read the body up to the limit before the app sees it."""
        if any(k == b"content-length" for k, _ in scope["headers"]) or scope["method"] in (
            "GET",
            "HEAD",
            "OPTIONS",
        ):
            return receive
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return receive
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body_bytes:
                raise _TooLarge
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay


class _TooLarge(Exception):
    pass

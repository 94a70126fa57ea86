"""The admin token: bearer header or a login form's session cookie, and CSRF checks.

Reads need nothing. A write is accepted with ``Authorization: Bearer <token>`` (a
browser never sends that header cross-site by itself), or with the session cookie
(HttpOnly, SameSite=Strict) *and* the session's CSRF token in the form *and* an
``Origin`` header, when sent, naming this host.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

__all__ = ["COOKIE", "MAX_FORM_BYTES", "Auth", "Session", "auth_router", "form_of", "same_origin"]

COOKIE = "hf_ui_session"
MAX_FORM_BYTES = 65_536
_MAX_SESSIONS = 1_000


@dataclass(frozen=True)
class Session:
    """A logged-in browser: its cookie id and the CSRF token its forms carry."""

    sid: str
    csrf: str


class Auth:
    """Who may write: holders of the admin token (``None``: nobody; read-only)."""

    def __init__(self, token: str | None) -> None:
        self._token = token
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether writes are possible at all (a token is configured)."""
        return self._token is not None

    def matches(self, given: str | None) -> bool:
        """Constant-time comparison of ``given`` with the admin token."""
        if self._token is None or not given:
            return False
        return hmac.compare_digest(given.encode(), self._token.encode())

    def login(self, given: str) -> Session | None:
        """A new session when ``given`` is the token, else ``None``."""
        if not self.matches(given):
            return None
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
        with self._lock:
            if len(self._sessions) >= _MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
            self._sessions[session.sid] = session
        return session

    def logout(self, request: Request) -> None:
        """Forget the session of ``request`` (if any)."""
        sid = request.cookies.get(COOKIE)
        with self._lock:
            self._sessions.pop(sid or "", None)

    def session_of(self, request: Request) -> Session | None:
        """The session whose cookie ``request`` carries."""
        sid = request.cookies.get(COOKIE)
        with self._lock:
            return self._sessions.get(sid) if sid else None

    def bearer(self, request: Request) -> bool:
        """Whether ``request`` carries ``Authorization: Bearer <token>``."""
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self.matches(given.strip())

    def is_admin(self, request: Request) -> bool:
        """Whether ``request`` may write (bearer token or a live session)."""
        return self.bearer(request) or self.session_of(request) is not None

    def check_write(self, request: Request, csrf: str | None) -> None:
        """Raise 401 (no token) or 403 (cross-site or missing CSRF token) for a write."""

        if not self.enabled:
            raise HTTPException(
                401, "the dashboard is read-only: start it with HYPERFLOW_ADMIN_TOKEN set"
            )
        if self.bearer(request):
            return
        session = self.session_of(request)
        if session is None:
            raise HTTPException(
                401, "log in with the admin token (or send 'Authorization: Bearer <token>')"
            )
        if not same_origin(request):
            raise HTTPException(403, "cross-site request refused (Origin is not this site)")
        if not csrf or not hmac.compare_digest(csrf.encode(), session.csrf.encode()):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and retry")


def same_origin(request: Request) -> bool:
    """True unless an ``Origin`` header names another host than the one requested."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def form_of(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form post (first value of each; at most ``MAX_FORM_BYTES``)."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "send the form as application/x-www-form-urlencoded")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, f"form over {MAX_FORM_BYTES} bytes")
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


def _safe_next(target: str | None, prefix: str) -> str:
    """A local path to go to after logging in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return f"{prefix}/runs"
    return target


def auth_router() -> APIRouter:
    """``/login`` (form and post) and ``/logout``."""

    from hyperflow.ui._pages import pages_of

    router = APIRouter()

    @router.get("/login")
    def login_form(request: Request, next: str | None = None) -> Response:
        pages = pages_of(request)
        ctx = {"title": "Log in", "next": _safe_next(next, pages.prefix), "error": None}
        return pages.render(request, "login.html", ctx)

    @router.post("/login")
    async def login(request: Request) -> Response:
        pages = pages_of(request)
        form = await form_of(request)
        target = _safe_next(form.get("next"), pages.prefix)
        token = form.get("token", "")
        session = pages.auth.login(token) if same_origin(request) else None
        if session is None:
            ctx = {"title": "Log in", "next": target, "error": "wrong token"}
            return pages.render(request, "login.html", ctx, status=401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE, session.sid, httponly=True, samesite="strict", path=pages.prefix or "/"
        )
        return response

    @router.post("/logout")
    def logout(request: Request) -> Response:
        pages = pages_of(request)
        pages.auth.logout(request)
        response = RedirectResponse(f"{pages.prefix}/runs", status_code=303)
        response.delete_cookie(COOKIE, path=pages.prefix or "/")
        return response

    return router

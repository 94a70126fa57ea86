"""Rendering: the Jinja2 environment (autoescaped) and what every page shares."""

from __future__ import annotations

import datetime as dt
import json
import math
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperflow.store import MetadataStore

if TYPE_CHECKING:
    from fastapi import Request
    from fastapi.responses import HTMLResponse

    from hyperflow.core import Pipeline
    from hyperflow.ui._app import Section
    from hyperflow.ui._auth import Auth

__all__ = ["Pages", "pages_of"]

# imported by pages on first use: loaded at start instead (``Pages.warm``)
_WARM_MODULES = ("hyperflow.viz", "hyperflow.core", "hyperflow.ui._study_data",
                 "hyperflow.registry", "optuna.distributions")

# Scripts only from this origin, no inline script, no framing: stored strings cannot run.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def _when(t: float | None) -> str:
    if not t:
        return ""
    return dt.datetime.fromtimestamp(t, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _num(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return "" if v is None else (v if isinstance(v, str) else json.dumps(v))
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _size(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(n)  # pragma: no cover


def _qs(params: Mapping[str, Any]) -> str:
    """A query string; list values repeat their key (``cols=a&cols=b``)."""
    return urllib.parse.urlencode({k: v for k, v in params.items() if v}, doseq=True)


class Pages:
    """The store, the auth state and the templates that every route renders with."""

    def __init__(
        self,
        store: MetadataStore,
        auth: Auth,
        pipelines: dict[str, Pipeline],
        prefix: str,
        sections: Sequence[Section],
    ) -> None:
        import jinja2

        from hyperflow.ui._listing import KnownKeys

        self.store = store
        self.keys = KnownKeys(store)
        self.auth = auth
        self.pipelines = pipelines
        self.prefix = prefix
        self.sections = sections
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters.update(when=_when, num=_num, size=_size, qs=_qs)

    def warm(self) -> None:
        """Do at start what first requests would: import the page modules, compile every
        template and read the store's keys (so the first page is as fast as the next)."""
        import importlib

        for module in _WARM_MODULES:
            importlib.import_module(module)
        for name in self.env.list_templates():
            self.env.get_template(name)
        self.keys.get()

    def render(
        self, request: Request, template: str, context: Mapping[str, Any], status: int = 200
    ) -> HTMLResponse:
        """An HTML response from ``template`` with the shared context and safe headers."""
        from fastapi.responses import HTMLResponse

        session = self.auth.session_of(request)
        html = self.env.get_template(template).render(
            **context,
            prefix=self.prefix,
            sections=self.sections,
            path=request.url.path,
            admin=self.auth.is_admin(request),
            writable=self.auth.enabled,
            csrf=session.csrf if session else "",
        )
        return HTMLResponse(html, status_code=status, headers=security_headers())


def security_headers() -> dict[str, str]:
    """Headers on every page: a strict CSP, no sniffing, no framing, no referrer leaks."""
    return {
        "Content-Security-Policy": _CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def pages_of(request: Request) -> Pages:
    """The ``Pages`` of the app serving ``request``."""
    pages: Pages = request.app.state.hf_pages
    return pages

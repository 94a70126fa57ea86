"""Routes of the monitoring section: monitored models, and one model's drift, live metric,
feedback coverage, alerts with their causes, and rollout state, refreshed while open."""

from __future__ import annotations

import difflib
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from hyperflow import registry
from hyperflow._errors import HyperflowError
from hyperflow.ui._loop_data import loop_of
from hyperflow.ui._monitor_data import MonitorView, charts, monitor_view, monitored
from hyperflow.ui._pages import pages_of, security_headers

__all__ = ["MONITOR_EVERY_MS", "RECENT_CHECKS", "router"]

MONITOR_EVERY_MS = 5_000
RECENT_CHECKS = 20


def _view(request: Request, name: str, target: str | None) -> MonitorView:
    store = pages_of(request).store
    try:
        view = monitor_view(store, name, target or None)
    except HyperflowError as exc:
        raise HTTPException(404, str(exc)) from None
    if not view.targets and not view.alerts:
        try:
            models = registry.models(store=store)
        except HyperflowError:
            models = []
        if name not in models:
            known = sorted({*models, *(m.name for m in monitored(store))})
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise HTTPException(404, f"no model {name!r} is registered or monitored; {hint}"
                                f"known: {', '.join(known[:20]) or 'none'}")
    return view


def _context(request: Request, view: MonitorView) -> dict[str, Any]:
    return {"view": view, "charts": charts(view), "loop": loop_of(pages_of(request).store,
            view.name), "recent": view.checks[::-1][:RECENT_CHECKS], "every": MONITOR_EVERY_MS,
            "decisions_shown": False}


def monitors_page(request: Request) -> HTMLResponse:
    """Every monitored model: checks, the last one, open alerts."""
    pages = pages_of(request)
    return pages.render(request, "monitors.html",
                        {"title": "Monitoring", "models": monitored(pages.store)})


def monitor_page(request: Request, name: str, target: str = "") -> HTMLResponse:
    """One model's monitoring (``target``: which ``name@alias`` checks to draw)."""
    view = _view(request, name, target)
    ctx = {"title": f"Monitoring {name}", **_context(request, view)}
    return pages_of(request).render(request, "monitor.html", ctx)


def monitor_live(request: Request, name: str, target: str = "") -> HTMLResponse:
    """The page's live part as an HTML fragment (polled by the page)."""
    pages = pages_of(request)
    html = pages.env.get_template("monitor_live.html").render(
        prefix=pages.prefix, **_context(request, _view(request, name, target)))
    return HTMLResponse(html, headers=security_headers())


def router() -> APIRouter:
    """``/monitoring``, ``/monitoring/{name}`` and ``/monitoring/{name}/live``."""
    r = APIRouter()
    r.add_api_route("/monitoring", monitors_page, methods=["GET"], response_class=HTMLResponse)
    r.add_api_route("/monitoring/{name}", monitor_page, methods=["GET"],
                    response_class=HTMLResponse)
    r.add_api_route("/monitoring/{name}/live", monitor_live, methods=["GET"],
                    response_class=HTMLResponse)
    return r

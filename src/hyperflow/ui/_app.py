"""``create_app``: the dashboard as one FastAPI app, composed from one router per section.

A section is a page family with its own router (runs, studies, models, monitoring); a new
one joins the same way: a router plus a ``Section`` in ``SECTIONS``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperflow._errors import ServeError
from hyperflow.store import ArtifactStore, MetadataStore, get_store

if TYPE_CHECKING:
    from fastapi import FastAPI, Request, Response

    from hyperflow.core import Pipeline
    from hyperflow.ui._pages import Pages

__all__ = ["SECTIONS", "Section", "create_app"]

_HERE = Path(__file__).parent
_log = logging.getLogger("hyperflow.ui")


@dataclass(frozen=True)
class Section:
    """One entry of the dashboard's navigation: its title and the path of its index page."""

    title: str
    path: str


SECTIONS: tuple[Section, ...] = (
    Section("Runs", "/runs"),
    Section("Studies", "/studies"),
    Section("Models", "/models"),
    Section("Monitoring", "/monitoring"),
)


def _require_web() -> None:
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ServeError(
            "the dashboard needs FastAPI, uvicorn and Jinja2: pip install 'hyperflow[serve,ui]'"
        ) from exc


def create_app(
    *,
    store: MetadataStore | str | None = None,
    artifacts: ArtifactStore | str | None = None,
    admin_token: str | None = None,
    pipelines: Mapping[str, Pipeline] | None = None,
    prefix: str = "",
) -> FastAPI:
    """The dashboard over a store, as a FastAPI app (mount it or serve it with uvicorn).

    Args:
        store: the metadata store (``None``: the project's).
        artifacts: the artifact store (``None``: the project's); only read for sizes.
        admin_token: the token that unlocks alias moves and archiving (default
            ``$HYPERFLOW_ADMIN_TOKEN``; unset: the dashboard is read-only).
        pipelines: pipelines by name, to draw runs on their DAG (runs of other
            pipelines show a table of their nodes).
        prefix: the path the app is mounted under (links are built with it).

    Raises:
        ServeError: FastAPI or Jinja2 is not installed (names the extras).
    """
    _require_web()
    from fastapi import FastAPI
    from fastapi.responses import RedirectResponse
    from fastapi.staticfiles import StaticFiles
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from hyperflow.ui import _models, _monitoring, _runs, _studies
    from hyperflow.ui._auth import Auth, auth_router
    from hyperflow.ui._pages import Pages

    token = admin_token if admin_token is not None else os.environ.get("HYPERFLOW_ADMIN_TOKEN")
    meta = get_store(store)
    pages = Pages(meta, Auth(token or None), dict(pipelines or {}), prefix, SECTIONS)
    app = FastAPI(title="hyperflow dashboard", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=_warm_lifespan(pages))
    app.state.hf_pages = pages
    app.state.hf_artifacts = artifacts
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    for router in (auth_router(), _runs.router(), _studies.router(), _models.router(),
                   _monitoring.router()):
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def index() -> Any:
        return RedirectResponse(f"{prefix}/runs", status_code=302)

    app.add_exception_handler(StarletteHTTPException, _error_page)
    return app


def _warm_lifespan(pages: Pages) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Warm the pages before the server takes requests (a mounted app warms lazily)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from fastapi.concurrency import run_in_threadpool

        started = time.perf_counter()
        try:
            await run_in_threadpool(pages.warm)
        except Exception as exc:  # the pages still work; they pay on first use instead
            _log.warning("dashboard: warming up failed (%s); pages load lazily", exc)
        else:
            _log.info("dashboard: warmed up in %.2f s", time.perf_counter() - started)
        yield

    return lifespan


async def _error_page(request: Request, exc: Exception) -> Response:
    """Errors as a page of the dashboard (the message escaped), with the same status."""
    from hyperflow.ui._pages import pages_of

    status = getattr(exc, "status_code", 500)
    ctx = {"title": f"Error {status}", "status": status, "detail": getattr(exc, "detail", "")}
    page = pages_of(request).render(request, "error.html", ctx, status=status)
    page.headers.update(getattr(exc, "headers", None) or {})
    return page

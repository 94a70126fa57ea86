"""``/docs`` (Swagger UI) and ``/redoc`` with their assets served from the installed package.

No CDN: the JavaScript and CSS come from the ``fastapi-offline`` distribution
(a dependency of ``hyperflow[serve]``), so the pages work offline and behind
firewalls. Paths honour ``root_path`` (a proxy prefix or a mount).
"""

from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import FileResponse, HTMLResponse

__all__ = ["ASSETS", "assets_dir", "docs_router"]

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}


@cache
def assets_dir() -> Path | None:
    """The folder holding the Swagger UI / ReDoc assets, or ``None`` if not installed."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    folder = Path(fastapi_offline.__file__).parent / "static"
    return folder if all((folder / name).is_file() for name in ASSETS) else None


def _missing() -> HTMLResponse:
    return HTMLResponse(
        "<p>The API docs need their assets: <code>pip install 'hyperflow[serve]'</code> "
        "(the <code>fastapi-offline</code> package). The schema is at "
        "<a href='openapi.json'>openapi.json</a>.</p>",
        status_code=503,
    )


def docs_router(title: str) -> APIRouter:
    """``GET /docs``, ``GET /redoc`` and ``GET /docs/assets/{name}`` (not in the schema)."""
    router = APIRouter(include_in_schema=False)

    async def swagger(request: Request) -> HTMLResponse:
        if assets_dir() is None:
            return _missing()
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{root}/docs/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs/assets/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs/assets/favicon.png",
        )

    async def redoc(request: Request) -> HTMLResponse:
        if assets_dir() is None:
            return _missing()
        root = request.scope.get("root_path", "").rstrip("/")
        return get_redoc_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{title} - ReDoc",
            redoc_js_url=f"{root}/docs/assets/redoc.standalone.js",
            redoc_favicon_url=f"{root}/docs/assets/favicon.png",
            with_google_fonts=False,
        )

    async def asset(name: str) -> FileResponse:
        folder = assets_dir()
        if folder is None or name not in ASSETS:  # an allow-list: no path ever reaches the disk
            raise HTTPException(404, f"no docs asset {name!r}")
        return FileResponse(
            folder / name, media_type=ASSETS[name], headers={"Cache-Control": "max-age=86400"}
        )

    router.add_api_route("/docs", swagger, methods=["GET"])
    router.add_api_route("/redoc", redoc, methods=["GET"])
    router.add_api_route("/docs/assets/{name}", asset, methods=["GET"])
    return router

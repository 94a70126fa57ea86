"""``hyperflow ui``: the web dashboard over the project's store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from hyperflow.cli._app import app

if TYPE_CHECKING:
    from hyperflow.core import Pipeline

__all__ = ["ui"]


def _project_pipelines() -> dict[str, Pipeline]:
    """The project's train and predict pipelines by name (to draw runs on their DAG)."""
    from hyperflow._errors import HyperflowError
    from hyperflow.cli._project import load_project

    out: dict[str, Pipeline] = {}
    try:
        project = load_project()
    except HyperflowError:
        return out
    for which, ref in (("train", project.train), ("predict", project.predict)):
        if ref is None:
            continue
        try:
            pipeline = project.pipeline(which)
        except Exception as exc:  # a broken import must not keep the dashboard down
            typer.echo(f"warning: runs are shown without their DAG ({which}: {exc})", err=True)
            continue
        out[pipeline.name] = pipeline
    return out


@app.command("ui")
def ui(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve the web dashboard (runs, compare, studies, models) for this project's store.

    Read-only unless HYPERFLOW_ADMIN_TOKEN is set: then promote, roll back and archive
    need that token (log in on the page, or send 'Authorization: Bearer <token>').
    """
    import uvicorn

    from hyperflow.store import get_store, resolve_store_url
    from hyperflow.ui import create_app

    store = get_store(resolve_store_url())
    application: Any = create_app(store=store, pipelines=_project_pipelines())
    typer.echo(f"hyperflow dashboard on http://{host}:{port}/ (store {store.url})")
    uvicorn.run(application, host=host, port=port, log_level=log_level)

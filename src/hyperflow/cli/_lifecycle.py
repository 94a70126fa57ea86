"""CLI commands over the cache and serving (runs and models live in ``_runs``/``_models``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hyperflow.cli import _models as _models  # registers register/models/promote/...
from hyperflow.cli import _runs as _runs  # registers the runs group
from hyperflow.cli._app import JsonOpt, app, help_without_command
from hyperflow.cli._common import emit, human_bytes, usage_error
from hyperflow.cli._runs import YesOpt

__all__ = ["cache_app"]

cache_app = typer.Typer(
    help="The content-addressed cache: info, clear.", invoke_without_command=True
)
cache_app.callback()(help_without_command)
app.add_typer(cache_app, name="cache")


@cache_app.command("info")
def cache_info(as_json: JsonOpt = False) -> None:
    """Where the cache is and how big."""
    from hyperflow.engine import DiskCache, get_cache

    cache = get_cache(None)
    if cache is None:
        emit({"enabled": False}, as_json=as_json, title="cache")
        return
    size = (lambda n: n) if as_json else human_bytes
    data: dict[str, Any] = {"enabled": True, "kind": type(cache).__name__}
    data["bytes" if as_json else "size"] = size(cache.total_bytes())
    if isinstance(cache, DiskCache):
        data["path"] = str(cache.path)
        limit = cache.max_bytes
        shown = limit if as_json or limit is None else size(limit)
        data["max_bytes" if as_json else "limit"] = shown
    emit(data, as_json=as_json, title="cache")


@cache_app.command("clear")
def cache_clear(yes: YesOpt = False) -> None:
    """Delete every cached value (asks first, unless --yes)."""
    from hyperflow.engine import DiskCache, get_cache

    cache = get_cache(None)
    if cache is None:
        typer.echo("the cache is off (HYPERFLOW_CACHE=off): nothing to clear")
        return
    where = f" at {cache.path}" if isinstance(cache, DiskCache) else ""
    if not yes:
        typer.confirm(f"delete every cached value{where}?", abort=True)
    cache.clear()
    typer.echo(f"cache cleared{where}")


@app.command()
def serve(
    ref: Annotated[str, typer.Argument(help="NAME@ALIAS or NAME:VERSION to serve.")],
    host: Annotated[
        str, typer.Option(help="Interface to bind (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    poll: Annotated[
        float | None, typer.Option(help="Seconds between alias checks (hot reload).")
    ] = None,
    max_batch_size: Annotated[
        int | None, typer.Option(help="Micro-batch size (batchable pipelines).")
    ] = None,
    max_wait_ms: Annotated[float | None, typer.Option(help="Micro-batch wait.")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="One log line per request.")
    ] = True,
    fd: Annotated[
        int | None,
        typer.Option(help="Serve on this already-bound listening socket (as uvicorn --fd)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Worker processes sharing the port (/metrics sums them)."),
    ] = 1,
    log_format: Annotated[
        str, typer.Option(help="Log lines as 'text' or 'json' (one event per line).")
    ] = "text",
    cache: Annotated[
        str | None,
        typer.Option(
            help="Response cache for a deterministic pipeline: 'memory' (per worker) or "
            "'redis://HOST:PORT/DB' (shared)."
        ),
    ] = None,
    server: Annotated[
        str, typer.Option(help="ASGI server: 'uvicorn' or 'granian' (pip install granian).")
    ] = "uvicorn",
) -> None:
    """Serve a registered model over HTTP (Ctrl-C stops and flushes the prediction log).

    The project root is on the import path, so the model's predict module imports from any
    folder of the project.
    """
    import socket

    from hyperflow._errors import ServeError
    from hyperflow.serve import serve as run_server
    from hyperflow.serve._logging import check_log_format

    try:
        check_log_format(log_format)
    except ServeError as exc:
        usage_error(str(exc), "--log-format")
    if server not in ("uvicorn", "granian"):
        usage_error(f"unknown server {server!r}: use 'uvicorn' or 'granian'", "--server")
    given = {
        "cache": cache,
        "sockets": None if fd is None else [socket.socket(fileno=fd)],
        "poll_interval_s": poll,
        "max_batch_size": max_batch_size,
        "max_wait_ms": max_wait_ms,
    }
    options: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    options.update(access_log=access_log, workers=workers, log_format=log_format, server=server)
    run_server(ref, host=host, port=port, log_level=log_level, **options)

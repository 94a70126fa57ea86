"""CLI commands over tracked runs, the registry and the cache."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from hyperflow.cli._app import JsonOpt, _project, app
from hyperflow.cli._common import CliError, emit

__all__ = ["cache_app", "models_app", "runs_app"]

runs_app = typer.Typer(help="Tracked runs: list, show, compare.", no_args_is_help=True)
models_app = typer.Typer(help="Registered models: list, show.", no_args_is_help=True)
cache_app = typer.Typer(help="The content-addressed cache: info, clear.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")
app.add_typer(models_app, name="models")
app.add_typer(cache_app, name="cache")


def _when(t: float | None) -> str:
    return "" if not t else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


@runs_app.command("list")
def runs_list(
    pipeline: Annotated[str | None, typer.Option(help="Only runs of this pipeline.")] = None,
    where: Annotated[str | None, typer.Option(help='Filter, e.g. "metrics.f1 > 0.9".')] = None,
    order_by: Annotated[str | None, typer.Option("--order-by", help="e.g. -metrics.f1")] = None,
    limit: Annotated[int, typer.Option(help="At most this many runs.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """List tracked runs, newest first (or by --order-by)."""
    import hyperflow as hf

    df = hf.runs.search(
        pipeline=pipeline, where=where, order_by=order_by or "-start_time", limit=limit
    )
    cols = [
        c
        for c in df.columns
        if c in ("run_id", "pipeline", "status", "start_time") or c.startswith("metrics.")
    ]
    rows = df[cols].to_dict(orient="records")
    for row in rows:
        if "start_time" in row:  # a pandas Timestamp
            row["start_time"] = str(row["start_time"])[:19]
    emit(rows, as_json=as_json, title="runs", columns=cols)


@runs_app.command("show")
def runs_show(run_id: str, as_json: JsonOpt = False) -> None:
    """Everything recorded about one run."""
    import hyperflow as hf

    rec = hf.runs.get(run_id)
    data: dict[str, Any] = {
        "run_id": rec.run_id,
        "pipeline": rec.pipeline,
        "status": rec.status,
        "start": _when(rec.start_time),
        "end": _when(rec.end_time),
        "config": rec.config,
        "metrics": rec.metrics,
        "tags": rec.tags,
        "parent": rec.parent_id,
        "failed_node": rec.failed_node,
        "error": rec.error,
        "artifacts": {k: a.digest[:16] for k, a in rec.artifacts.items()},
        "nodes_s": {k: round(n.seconds, 6) for k, n in rec.nodes.items()},
        "code_versions": rec.lineage.get("code_versions"),
        "inputs": rec.lineage.get("inputs"),
    }
    emit(data, as_json=as_json, title=f"run {run_id}")


@runs_app.command("compare")
def runs_compare(run_ids: list[str], as_json: JsonOpt = False) -> None:
    """Config and metrics of several runs side by side."""
    import hyperflow as hf

    df = hf.runs.compare(run_ids)
    rows = df.reset_index().to_dict(orient="records")
    emit(rows, as_json=as_json, title="comparison")


@app.command()
def register(
    run_id: Annotated[str, typer.Option("--run", help="The run whose artifacts to register.")],
    name: Annotated[str | None, typer.Option(help="Model name (default: project name).")] = None,
    bump: Annotated[str, typer.Option(help="major, minor or patch.")] = "minor",
    version: Annotated[str | None, typer.Option(help="An explicit semantic version.")] = None,
    description: Annotated[str | None, typer.Option(help="Free text.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a run's artifacts with the project's predict pipeline as a new version."""
    from hyperflow import registry

    project = _project()
    if project.predict is None:
        raise CliError(
            'no predict pipeline configured: add `predict = "module:attr"` under [tool.hyperflow]'
        )
    train = project.pipeline("train") if project.train else None
    mv = registry.register(
        name or project.name,
        run_id=run_id,
        predict=project.pipeline("predict"),
        artifacts=project.artifacts_out,
        bump=bump,
        version=version,
        description=description,
        train=train,
        inputs=project.inputs,
    )
    emit(
        {"name": mv.name, "version": mv.version, "run_id": mv.run_id, "metrics": mv.metrics},
        as_json=as_json,
        title="registered",
    )


@models_app.command("list")
def models_list(as_json: JsonOpt = False) -> None:
    """Every model with its newest version and aliases."""
    from hyperflow import registry

    rows = []
    for name in registry.models():
        versions = registry.versions(name)
        aliases = {a: v.version for v in versions for a in v.aliases}
        rows.append(
            {
                "name": name,
                "versions": len(versions),
                "latest": aliases.get("latest"),
                "aliases": aliases,
            }
        )
    emit(rows, as_json=as_json, title="models", columns=["name", "versions", "latest", "aliases"])


@models_app.command("show")
def models_show(ref: str, as_json: JsonOpt = False) -> None:
    """One model's versions (NAME) or one version's lineage (NAME@ALIAS, NAME:VERSION)."""
    from hyperflow import registry

    if "@" in ref or ":" in ref:
        mv = registry.get(ref)
        emit(
            {
                "name": mv.name,
                "version": mv.version,
                "aliases": mv.aliases,
                "status": mv.status,
                "run_id": mv.run_id,
                "created": _when(mv.created_at),
                "metrics": mv.metrics,
                "tags": mv.tags,
                "predict": mv.predict_ref,
                "code_version": mv.code_version,
                "artifacts": {k: v["digest"][:16] for k, v in mv.artifacts.items()},
                "config": mv.lineage.get("config"),
            },
            as_json=as_json,
            title=mv.ref,
        )
        return
    rows = [
        {
            "version": v.version,
            "aliases": ", ".join(v.aliases),
            "status": v.status,
            "run_id": v.run_id,
            "created": _when(v.created_at),
            "metrics": v.metrics,
        }
        for v in registry.versions(ref)
    ]
    emit(
        rows,
        as_json=as_json,
        title=ref,
        columns=["version", "aliases", "status", "run_id", "created", "metrics"],
    )


@app.command()
def promote(
    name: str,
    version: str,
    alias: Annotated[str, typer.Option("--alias", "-a", help="Alias to move.")] = "production",
    reason: Annotated[str | None, typer.Option(help="Why (recorded in the history).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Point an alias (default: production) at a version."""
    from hyperflow import registry

    move = registry.set_alias(name, alias, version, reason=reason)
    emit(
        {"alias": alias, "from": move.from_version, "to": move.to_version},
        as_json=as_json,
        title=f"{name}@{alias}",
    )


@app.command()
def rollback(
    name: str,
    alias: Annotated[str, typer.Option("--alias", "-a", help="Alias to move back.")] = "production",
    as_json: JsonOpt = False,
) -> None:
    """Move an alias back to its previous target."""
    from hyperflow import registry

    move = registry.rollback(name, alias)
    emit(
        {"alias": alias, "from": move.from_version, "to": move.to_version},
        as_json=as_json,
        title=f"{name}@{alias}",
    )


@cache_app.command("info")
def cache_info(as_json: JsonOpt = False) -> None:
    """Where the cache is and how big."""
    from hyperflow.engine import DiskCache, get_cache

    cache = get_cache(None)
    if cache is None:
        emit({"enabled": False}, as_json=as_json, title="cache")
        return
    data: dict[str, Any] = {
        "enabled": True,
        "kind": type(cache).__name__,
        "bytes": cache.total_bytes(),
    }
    if isinstance(cache, DiskCache):
        data["path"] = str(cache.path)
        data["max_bytes"] = cache.max_bytes
    emit(data, as_json=as_json, title="cache")


@cache_app.command("clear")
def cache_clear() -> None:
    """Delete every cached value."""
    from hyperflow.engine import get_cache

    cache = get_cache(None)
    if cache is not None:
        cache.clear()
    typer.echo("cache cleared")


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
) -> None:
    """Serve a registered model over HTTP (Ctrl-C stops and flushes the prediction log)."""
    from hyperflow.serve import serve as run_server

    options: dict[str, Any] = {}
    if poll is not None:
        options["poll_interval_s"] = poll
    if max_batch_size is not None:
        options["max_batch_size"] = max_batch_size
    if max_wait_ms is not None:
        options["max_wait_ms"] = max_wait_ms
    run_server(ref, host=host, port=port, log_level=log_level, **options)

"""``hyperflow runs``: list, show, compare and delete tracked runs.

Every command taking a run id accepts a unique prefix of it (as git does for commits).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from hyperflow.cli._app import JsonOpt, app, help_without_command
from hyperflow.cli._common import CliError, emit, human_bytes, human_seconds, short_ids

__all__ = ["require_store", "resolve_run", "runs_app"]

runs_app = typer.Typer(
    help="Tracked runs: list, show, compare, delete.", invoke_without_command=True
)
runs_app.callback()(help_without_command)
app.add_typer(runs_app, name="runs")

YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def when(t: float | None) -> str:
    return "" if not t else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def require_store(what: str) -> bool:
    """False (with a note on stderr) when nothing was ever recorded here: read commands
    then create no store."""
    from hyperflow.store import find_project_root, resolve_store_url, store_exists

    if store_exists():
        return True
    where = find_project_root()
    place = f"project {where}" if where else "this folder (no hyperflow project found)"
    typer.echo(
        f"no {what}: nothing was recorded in {place} yet (no store at {resolve_store_url()}); "
        "`hyperflow run` or `hyperflow optimize` records runs, HYPERFLOW_STORE points elsewhere",
        err=True,
    )
    return False


def resolve_run(prefix: str) -> str:
    """The whole id of the run whose id starts with ``prefix`` (unique)."""
    import hyperflow as hf

    if not require_store("runs"):
        raise CliError(f"no run {prefix!r}: there is no store here")
    return hf.runs.resolve_id(prefix)


@runs_app.command("list")
def runs_list(
    pipeline: Annotated[str | None, typer.Option(help="Only runs of this pipeline.")] = None,
    where: Annotated[str | None, typer.Option(help='Filter, e.g. "metrics.f1 > 0.9".')] = None,
    order_by: Annotated[str | None, typer.Option("--order-by", help="e.g. -metrics.f1")] = None,
    limit: Annotated[int, typer.Option(help="At most this many runs.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """List tracked runs, newest first (or by --order-by); ids shortened, unique."""
    import hyperflow as hf

    if not require_store("runs"):
        if as_json:
            emit([], as_json=True)
        return
    df = hf.runs.search(
        pipeline=pipeline, where=where, order_by=order_by or "-start_time", limit=limit
    )
    keep = ("run_id", "name", "pipeline", "status", "start_time", "duration_s")
    cols = [c for c in df.columns if c in keep or c.startswith("metrics.")]
    rows = df[cols].to_dict(orient="records")
    short = short_ids([str(r["run_id"]) for r in rows])
    for row in rows:
        row["start_time"] = str(row["start_time"])[:19]
        if not as_json:
            row["run_id"] = short[str(row["run_id"])]
            seconds = row.get("duration_s")
            ok = isinstance(seconds, float) and seconds == seconds  # not None, not NaN
            row["duration_s"] = human_seconds(float(seconds or 0)) if ok else ""
    if not as_json and "duration_s" in cols:
        cols[cols.index("duration_s")] = "duration"
        for row in rows:
            row["duration"] = row.pop("duration_s")
    emit(rows, as_json=as_json, title="runs", columns=cols)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="A run id or a unique prefix of it.")],
    as_json: JsonOpt = False,
) -> None:
    """Everything recorded about one run."""
    import hyperflow as hf

    rec = hf.runs.get(resolve_run(run_id))
    size = (lambda n: n) if as_json else human_bytes
    secs = (lambda s: s) if as_json else human_seconds
    data: dict[str, Any] = {
        "run_id": rec.run_id,
        "name": rec.name,
        "pipeline": rec.pipeline,
        "status": rec.status,
        "start": rec.start_time if as_json else when(rec.start_time),
        "end": rec.end_time if as_json else when(rec.end_time),
        "config": rec.config,
        "metrics": rec.metrics,
        "tags": rec.tags,
        "parent": rec.parent_id,
        "failed_node": rec.failed_node,
        "error": rec.error,
        "artifacts": {
            k: {"digest": a.digest if as_json else a.digest[:16], "size": size(a.size)}
            for k, a in rec.artifacts.items()
        },
        "nodes": {k: secs(n.seconds) for k, n in rec.nodes.items()},
        "code_versions": rec.lineage.get("code_versions"),
        "inputs": rec.lineage.get("inputs"),
    }
    emit(data, as_json=as_json, title=f"run {rec.run_id}")


@runs_app.command("compare")
def runs_compare(
    run_ids: Annotated[list[str], typer.Argument(help="Run ids or unique prefixes.")],
    as_json: JsonOpt = False,
) -> None:
    """Config and metrics of several runs side by side."""
    import hyperflow as hf

    df = hf.runs.compare([resolve_run(r) for r in run_ids])
    rows = df.reset_index().to_dict(orient="records")
    emit(rows, as_json=as_json, title="comparison")


@runs_app.command("delete")
def runs_delete(
    run_ids: Annotated[list[str], typer.Argument(help="Run ids or unique prefixes.")],
    yes: YesOpt = False,
) -> None:
    """Delete runs (their metadata; artifacts a registered model uses stay)."""
    import hyperflow as hf

    ids = [resolve_run(r) for r in run_ids]
    if not yes:
        typer.confirm(f"delete {len(ids)} run(s): {', '.join(ids)}?", abort=True)
    for rid in ids:
        hf.runs.delete(rid)
        typer.echo(f"deleted run {rid}")

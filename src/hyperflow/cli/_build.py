"""``hyperflow build NAME@ALIAS --out DIR``: a deployment bundle for a registered model;
``hyperflow build NAME --agent --out DIR``: the bundle of the model's agent."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hyperflow.cli._app import JsonOpt, app
from hyperflow.cli._common import emit

__all__ = ["build"]


@app.command()
def build(
    ref: Annotated[
        str,
        typer.Argument(help="The model version: NAME@ALIAS or NAME:VERSION (NAME with --agent)."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The bundle folder to write.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a non-empty --out folder.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Worker processes the image and the Deployment run."),
    ] = 1,
    agent: Annotated[
        bool,
        typer.Option("--agent", help="Bundle the model's agent (`hyperflow agent`) instead."),
    ] = False,
    interval: Annotated[
        str, typer.Option(help="With --agent: time between the agent's passes.")
    ] = "60s",
    replicas: Annotated[
        int, typer.Option(min=1, help="With --agent: Deployment replicas (2 are safe).")
    ] = 1,
    extra: Annotated[
        list[str] | None,
        typer.Option("--extra", help="With --agent: a hyperflow extra to install (repeat)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a self-contained bundle (artifacts, requirements, Dockerfile, Kubernetes)."""
    from hyperflow import deploy
    from hyperflow.cli._common import CliError

    if not agent and (interval != "60s" or replicas != 1 or extra):
        raise CliError("--interval, --replicas and --extra belong to --agent; add --agent")
    if agent and workers != 1:
        raise CliError("--workers sizes the model server; the agent bundle serves nothing")
    if agent:
        _build_agent(ref, out, force, interval, replicas, extra or [], as_json)
        return
    built = deploy.build(ref, out, force=force, workers=workers)
    emit(
        {
            "path": str(built.path),
            "name": built.name,
            "version": built.version,
            "run_id": built.run_id,
            "requirements": len(built.requirements),
            "modules": built.modules,
            "command": " ".join(built.command),
        },
        as_json=as_json,
        title="bundle written",
    )


def _build_agent(
    name: str, out: Path, force: bool, interval: str, replicas: int, extras: list[str],
    as_json: bool,
) -> None:
    from hyperflow import deploy

    bundle = deploy.build_agent(
        name, out, force=force, interval=interval, replicas=replicas, extras=extras
    )
    shown = {
        "path": str(bundle.path), "name": bundle.name, "extras": bundle.extras,
        "requirements": len(bundle.requirements), "modules": bundle.modules,
        "command": " ".join(bundle.command),
    }
    emit(shown, as_json=as_json, title="agent bundle written")

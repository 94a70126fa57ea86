"""``hyperflow build NAME@ALIAS --out DIR``: a deployment bundle for a registered model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hyperflow.cli._app import JsonOpt, app
from hyperflow.cli._common import emit

__all__ = ["build"]


@app.command()
def build(
    ref: Annotated[str, typer.Argument(help="The model version: NAME@ALIAS or NAME:VERSION.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The bundle folder to write.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a non-empty --out folder.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Worker processes the image and the Deployment run."),
    ] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Write a self-contained bundle (artifacts, requirements, Dockerfile, Kubernetes)."""
    from hyperflow import deploy

    bundle = deploy.build(ref, out, force=force, workers=workers)
    emit(
        {
            "path": str(bundle.path),
            "name": bundle.name,
            "version": bundle.version,
            "run_id": bundle.run_id,
            "requirements": len(bundle.requirements),
            "modules": bundle.modules,
            "command": " ".join(bundle.command),
        },
        as_json=as_json,
        title="bundle written",
    )

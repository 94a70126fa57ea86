"""``hyperflow models card``, ``audit`` and ``predictions``: governance from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hyperflow.cli._app import JsonOpt, app
from hyperflow.cli._common import emit
from hyperflow.cli._models import models_app
from hyperflow.cli._runs import require_store, when

__all__: list[str] = []


@models_app.command("card")
def models_card(
    ref: Annotated[str, typer.Argument(help="NAME:VERSION or NAME@ALIAS, e.g. weather:1.2.0.")],
    format_: Annotated[str, typer.Option("--format", "-f", help="md (Markdown) or html.")] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the card to this file.")
    ] = None,
) -> None:
    """Print (or write) a version's model card, from what the registry knows."""
    from hyperflow import registry
    from hyperflow.cli._common import usage_error

    if format_ not in ("md", "html"):
        usage_error(f"--format takes md or html, but got {format_!r}", "--format")
    text = registry.card(ref, format="html" if format_ == "html" else "md")
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote the model card of {ref} to {output}")


@app.command()
def audit(
    action: Annotated[
        str | None, typer.Option("--action", help="e.g. alias.set, or a prefix: alias.")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="e.g. weather:1.2.0 or weather@production.")
    ] = None,
    who: Annotated[str | None, typer.Option("--who", help="Only this user or token.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="The newest N events.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List the audit log: every write action, who did it, when, and why."""
    from hyperflow import registry

    if not require_store("audit events"):
        return
    events = registry.audit_log(action=action, target=target, who=who, limit=limit)
    rows = [
        {
            "id": e.id,
            "at": e.at if as_json else when(e.at),
            "who": e.who,
            "action": e.action,
            "target": e.target,
            "reason": e.reason or "",
            "details": e.details,
        }
        for e in events
    ]
    cols = None if as_json else ["id", "at", "who", "action", "target", "reason"]
    emit(rows, as_json=as_json, title="audit log", columns=cols)

"""``hyperflow models card``, ``audit`` and ``predictions``: governance from the shell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hyperflow.cli._app import JsonOpt, app, help_without_command
from hyperflow.cli._common import emit, parse_assignments
from hyperflow.cli._models import models_app
from hyperflow.cli._runs import YesOpt, require_store, when

__all__ = ["predictions_app"]


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


predictions_app = typer.Typer(
    help="The prediction log: prune (retention), export (access), delete (erasure).",
    invoke_without_command=True,
)
predictions_app.callback()(help_without_command)
app.add_typer(predictions_app, name="predictions")

ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Only this model.")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why, for the audit log.")]
IdsOpt = Annotated[
    list[str] | None, typer.Option("--request-id", help="A request id (repeatable).")
]
WhereOpt = Annotated[
    list[str] | None,
    typer.Option("--where", "-w", help="Input FIELD=VALUE to match (repeatable)."),
]


@predictions_app.command("prune")
def predictions_prune(
    max_age: Annotated[
        str | None, typer.Option("--max-age", help="e.g. 30d (default: the project's max_age).")
    ] = None,
    model: ModelOpt = None,
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete logged predictions older than max_age (recorded in the audit log)."""
    import hyperflow as hf

    count = hf.predictions.prune(max_age=max_age, model=model, reason=reason)
    emit({"deleted": count}, as_json=as_json, title="predictions pruned")


@predictions_app.command("export")
def predictions_export(
    request_id: IdsOpt = None,
    where: WhereOpt = None,
    model: ModelOpt = None,
    reason: ReasonOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write JSON to this file.")
    ] = None,
) -> None:
    """Export the matching predictions as JSON (an access request; audited)."""
    import hyperflow as hf

    match = parse_assignments(where, "--where")
    rows = hf.predictions.export(
        request_ids=request_id, where=match or None, model=model, reason=reason
    )
    text = json.dumps(rows, indent=2, default=str)
    if output is None:
        typer.echo(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    typer.echo(f"wrote {len(rows)} prediction(s) to {output}")


@predictions_app.command("delete")
def predictions_delete(
    request_id: IdsOpt = None,
    where: WhereOpt = None,
    model: ModelOpt = None,
    reason: ReasonOpt = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Erase the matching predictions and their feedback (an erasure request; audited)."""
    import hyperflow as hf

    match = parse_assignments(where, "--where")
    if not yes:
        typer.confirm("delete the matching predictions? This cannot be undone", abort=True)
    count = hf.predictions.delete(
        request_ids=request_id, where=match or None, model=model, reason=reason
    )
    emit({"deleted": count}, as_json=as_json, title="predictions deleted")

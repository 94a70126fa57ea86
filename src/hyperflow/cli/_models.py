"""``hyperflow register``, ``models``, ``promote``, ``rollback`` and ``alias``: the registry."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hyperflow.cli._app import JsonOpt, _project, app, help_without_command
from hyperflow.cli._common import CliError, emit, short_ids
from hyperflow.cli._runs import YesOpt, require_store, resolve_run, when

__all__ = ["alias_app", "models_app"]

models_app = typer.Typer(
    help="Registered models: list, show, archive, delete.", invoke_without_command=True
)
models_app.callback()(help_without_command)
app.add_typer(models_app, name="models")
alias_app = typer.Typer(
    help="Model aliases: move one with `promote`, remove one with `alias rm`.",
    invoke_without_command=True,
)
alias_app.callback()(help_without_command)
app.add_typer(alias_app, name="alias")

AliasOpt = Annotated[str, typer.Option("--alias", "-a", help="The alias.")]


@app.command()
def register(
    run_id: Annotated[
        str, typer.Option("--run", help="The run (id or unique prefix) to register.")
    ],
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
        run_id=resolve_run(run_id),
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


def _known(name: str) -> None:
    """An error naming the registered models when ``name`` is not one of them."""
    import difflib

    from hyperflow import registry

    names = registry.models()
    if name in names:
        return
    close = difflib.get_close_matches(name, names, 1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise CliError(
        f"no model {name!r} in the registry; {hint}"
        f"registered: {', '.join(names) if names else 'none yet (hyperflow register --run ID)'}"
    )


@models_app.command("list")
def models_list(as_json: JsonOpt = False) -> None:
    """Every model with its newest version and aliases."""
    from hyperflow import registry

    if not require_store("models"):
        if as_json:
            emit([], as_json=True)
        return
    rows = []
    for name in registry.models():
        versions = registry.versions(name)
        aliases = {a: v.version for v in versions for a in v.aliases}
        rows.append(
            {"name": name, "versions": len(versions), "latest": aliases.get("latest"),
             "aliases": aliases}
        )
    emit(rows, as_json=as_json, title="models", columns=["name", "versions", "latest", "aliases"])


def _version_data(mv: Any, as_json: bool) -> dict[str, Any]:
    return {
        "name": mv.name,
        "version": mv.version,
        "aliases": mv.aliases,
        "status": mv.status,
        "run_id": mv.run_id,
        "created": mv.created_at if as_json else when(mv.created_at),
        "metrics": mv.metrics,
        "tags": mv.tags,
        "predict": mv.predict_ref,
        "code_version": mv.code_version,
        "artifacts": {
            k: v["digest"] if as_json else v["digest"][:16] for k, v in mv.artifacts.items()
        },
        "config": mv.lineage.get("config"),
        "gate_decisions": _decisions(mv.name, mv.version, as_json),
    }


def _decisions(name: str, version: str | None, as_json: bool) -> list[dict[str, Any]]:
    """The gate's decisions on ``name`` (on one challenger ``version``), one row each."""
    from hyperflow.retrain import gate_decisions

    return [
        {
            "id": d.id,
            "challenger": d.challenger,
            "champion": d.champion,
            "passed": d.passed,
            "at": d.created_at if as_json else when(d.created_at),
            "failed": [r["rule"] for r in d.rules if not r["passed"]],
            "rules": d.rules if as_json else len(d.rules),
        }
        for d in gate_decisions(name)
        if version is None or d.challenger == version
    ]


@models_app.command("show")
def models_show(
    ref: Annotated[str, typer.Argument(help="NAME, NAME@ALIAS or NAME:VERSION.")],
    as_json: JsonOpt = False,
) -> None:
    """One model's versions (NAME) or one version's lineage (NAME@ALIAS, NAME:VERSION)."""
    from hyperflow import registry

    if not require_store("models"):
        raise CliError(f"no model {ref!r}: there is no store here")
    _known(ref.split("@")[0].split(":")[0])
    if "@" in ref or ":" in ref:
        mv = registry.get(ref)
        emit(_version_data(mv, as_json), as_json=as_json, title=mv.ref)
        return
    versions = registry.versions(ref)
    short = short_ids([v.run_id for v in versions if v.run_id])
    rows = [
        {
            "version": v.version,
            "aliases": ", ".join(v.aliases),
            "status": v.status,
            "run_id": v.run_id if as_json or not v.run_id else short[v.run_id],
            "created": v.created_at if as_json else when(v.created_at),
            "metrics": v.metrics,
        }
        for v in versions
    ]
    cols = ["version", "aliases", "status", "run_id", "created", "metrics"]
    emit(rows, as_json=as_json, title=ref, columns=cols)
    decisions = [] if as_json else _decisions(ref, None, as_json)
    if decisions:
        cols = ["id", "challenger", "champion", "passed", "at", "failed"]
        emit(decisions, as_json=False, title="gate decisions", columns=cols)


@models_app.command("archive")
def models_archive(
    name: str,
    version: Annotated[str, typer.Argument(help="The version to archive, e.g. 1.2.0.")],
    yes: YesOpt = False,
) -> None:
    """Hide a version from `latest` and searches (it stays loadable by its version)."""
    from hyperflow import registry

    _known(name)
    if not yes:
        typer.confirm(f"archive {name}:{version}?", abort=True)
    registry.archive(name, version)
    typer.echo(f"archived {name}:{version}")


@models_app.command("delete")
def models_delete(
    name: str,
    version: Annotated[str, typer.Argument(help="The version to delete, e.g. 1.2.0.")],
    yes: YesOpt = False,
) -> None:
    """Delete a version (refused while an alias points at it)."""
    from hyperflow import registry

    _known(name)
    if not yes:
        typer.confirm(f"delete {name}:{version}? This cannot be undone", abort=True)
    registry.delete(name, version)
    typer.echo(f"deleted {name}:{version}")


def _move(name: str, alias: str, move: Any, as_json: bool) -> None:
    emit(
        {"alias": alias, "from": move.from_version, "to": move.to_version},
        as_json=as_json,
        title=f"{name}@{alias}",
    )


@app.command()
def promote(
    name: str,
    version: str,
    alias: AliasOpt = "production",
    reason: Annotated[str | None, typer.Option(help="Why (recorded in the history).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Point an alias (default: production) at a version (`alias rm` removes one)."""
    from hyperflow import registry

    _known(name)
    _move(name, alias, registry.set_alias(name, alias, version, reason=reason), as_json)


@app.command()
def rollback(
    name: str,
    alias: AliasOpt = "production",
    reason: Annotated[str | None, typer.Option(help="Why (recorded in the history).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Move an alias back to its previous target; a traffic split (canary, shadow) of the
    model ends at once, so every request goes to the rolled-back alias."""
    from hyperflow import registry
    from hyperflow.retrain import end_traffic_split

    _known(name)
    end_traffic_split(name, reason=f"rollback of {name}@{alias}: {reason or 'by hand'}")
    _move(name, alias, registry.rollback(name, alias, reason=reason), as_json)


@alias_app.command("rm")
def alias_rm(
    name: str,
    alias: Annotated[str, typer.Argument(help="The alias to remove, e.g. staging.")],
    reason: Annotated[str | None, typer.Option(help="Why (recorded in the history).")] = None,
    yes: YesOpt = False,
) -> None:
    """Remove an alias (its history stays; a server polling it keeps its current version)."""
    from hyperflow import registry

    _known(name)
    if not yes:
        typer.confirm(f"remove alias {name}@{alias}?", abort=True)
    registry.remove_alias(name, alias, reason=reason)
    typer.echo(f"removed alias {name}@{alias}")

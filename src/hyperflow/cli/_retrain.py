"""``hyperflow retrain`` (a challenger through the gate) and ``hyperflow events`` (the chain)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from hyperflow.cli._app import JsonOpt, app
from hyperflow.cli._common import emit, inert, parse_assignments, usage_error
from hyperflow.cli._runs import require_store, when

__all__ = ["chain_lines", "rule_rows"]


def rule_rows(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per gate rule for a table: rule, verdict, the figures in words."""
    return [
        {
            "rule": r["rule"],
            "verdict": "skipped" if r.get("skipped") else ("pass" if r["passed"] else "FAIL"),
            "figures": r.get("message", ""),
        }
        for r in rules
    ]


@app.command()
def retrain(
    name: Annotated[str, typer.Argument(help="The registered model, e.g. weather.")],
    mode: Annotated[
        str, typer.Option("--mode", help="refit (the champion's config) or search.")
    ] = "refit",
    trials: Annotated[
        int | None, typer.Option("--trials", help="Trials of --mode search (default 20).")
    ] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", "-i", help="A train input, KEY=VALUE (repeatable)."),
    ] = None,
    champion: Annotated[
        str, typer.Option("--champion", help="The alias of the version to beat.")
    ] = "production",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Train and gate only; register and move nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Retrain NAME on current data and judge the challenger against the champion (the gate).

    A passing challenger gets the alias `candidate` (a rollout promotes it); a failing one
    is registered tagged `rejected`. Exits 1 when the gate fails.
    """
    from hyperflow.retrain import retrain as run_retrain

    if mode not in ("refit", "search"):
        usage_error(f"--mode takes refit or search, but got {mode!r}", "--mode")
    if trials is not None and mode != "search":
        usage_error("--trials needs --mode search", "--trials")

    def say(line: str) -> None:
        if not as_json:
            typer.echo(f"· {inert(line)}", err=True)

    decision = run_retrain(
        name,
        mode="search" if mode == "search" else "refit",
        trials=trials,
        inputs=parse_assignments(inputs, "--input"),
        champion=champion,
        dry_run=dry_run,
        progress=say,
    )
    data = decision.to_dict()
    if as_json:
        emit(data, as_json=True)
    else:
        verdict = "passed" if decision.passed else "FAILED"
        title = f"gate {verdict}: {data['challenger'] or '(dry run)'} vs {data['champion']}"
        emit(rule_rows(data["rules"]), as_json=False, title=title)
        typer.echo(
            f"{len(decision.recomputed)} node(s) recomputed, {len(decision.cached)} cached; "
            f"{decision.seconds:.1f} s"
        )
    if not decision.passed:
        sys.exit(1)


def chain_lines(events: list[Any]) -> list[str]:
    """Events as lines, each indented under the event that caused it."""
    depth: dict[int, int] = {}
    lines = []
    for e in events:
        level = depth.get(e.cause_id, -1) + 1 if e.cause_id is not None else 0
        depth[e.id] = level
        detail = ", ".join(f"{k}={v}" for k, v in e.detail.items() if v not in (None, [], {}))
        cause = f" (caused by #{e.cause_id})" if e.cause_id is not None and level == 0 else ""
        lines.append(
            f"{'  ' * level}#{e.id} {when(e.at)} {e.name} {e.kind}{cause}: {inert(detail)}"
        )
    return lines


@app.command()
def events(
    name: Annotated[str | None, typer.Argument(help="Only this model's events.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="The newest N events.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """The chain of what happened and why: alerts, retrains, gate decisions, rollouts."""
    from hyperflow.retrain import events as read_events

    if limit < 1:
        usage_error(f"--limit must be >= 1, but got {limit}", "--limit")
    if not require_store("events"):
        return
    found = read_events(name, limit=limit)
    if as_json:
        emit([vars(e) for e in found], as_json=True)
        return
    if not found:
        typer.echo(f"no events{f' for {name!r}' if name else ''}")
        return
    for line in chain_lines(found):
        typer.echo(line)

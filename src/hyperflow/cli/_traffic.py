"""``hyperflow traffic NAME``: show, set (``--set production=90,candidate=10``) or ``--clear``
a model's traffic policy (canary weights, shadow, sticky key)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hyperflow.cli._app import JsonOpt, app
from hyperflow.cli._common import CliError, emit

__all__ = ["parse_weights", "traffic"]


def parse_weights(text: str) -> dict[str, float]:
    """``"production=90,candidate=10"`` -> ``{"production": 90.0, "candidate": 10.0}``."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        key, sep, value = part.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or not key.strip() or number != number:
            raise CliError(
                f"--set takes ALIAS=PERCENT pairs separated by commas, e.g. "
                f"production=90,candidate=10, but got {part!r} in {text!r}"
            )
        if key.strip() in out:
            raise CliError(f"--set names {key.strip()!r} twice in {text!r}")
        out[key.strip()] = number
    return out


def _shown(name: str, policy: Any) -> dict[str, Any]:
    if policy is None:
        return {"name": name, "policy": None,
                "note": "no policy: each server's own alias answers everything"}
    return {
        "name": name, "weights": policy.weights, "shadow": policy.shadow,
        "sticky": policy.sticky, "timeout_s": policy.timeout_s,
        "updated_at": policy.updated_at, "cause": policy.cause,
    }


@app.command("traffic")
def traffic(
    name: Annotated[str, typer.Argument(help="The model.")],
    set_: Annotated[
        str | None,
        typer.Option("--set", help="Weights, e.g. production=90,candidate=10 (sum 100)."),
    ] = None,
    shadow: Annotated[
        str | None, typer.Option(help="With --set: alias that gets a copy of each request.")
    ] = None,
    sticky: Annotated[
        str | None, typer.Option(help="With --set: request field or header for sticky routing.")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(help="With --set: seconds before a routed request gets 504.")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the policy.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why (kept in the audit log).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a model's traffic policy, set one (canary weights, shadow), or --clear it."""
    from hyperflow import registry

    if clear and set_ is not None:
        raise CliError("--set and --clear exclude each other: pass one")
    extras = {"--shadow": shadow, "--sticky": sticky, "--timeout": timeout}
    given = [flag for flag, value in extras.items() if value is not None]
    if given and set_ is None:
        raise CliError(f"{', '.join(given)} only applies with --set ALIAS=PERCENT,...")
    if clear:
        registry.clear_traffic(name, cause=reason)
        policy = None
    elif set_ is not None:
        policy = registry.set_traffic(
            name, parse_weights(set_), shadow=shadow, sticky=sticky, cause=reason,
            timeout_s=timeout,
        )
    else:
        policy = registry.traffic(name)
    emit(_shown(name, policy), as_json=as_json, title=f"traffic of {name}")

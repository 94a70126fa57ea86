"""``hyperflow monitor NAME@ALIAS``, ``monitor history NAME`` and ``alerts list``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hyperflow.cli._app import JsonOpt, _project, app, help_without_command
from hyperflow.cli._common import CliError, emit

__all__ = ["alerts_app", "monitor"]

alerts_app = typer.Typer(help="Alerts fired by the monitor.", invoke_without_command=True)
alerts_app.callback()(help_without_command)
app.add_typer(alerts_app, name="alerts")


def _history(name: str, as_json: bool) -> None:
    from hyperflow import monitor as mon

    df = mon.history(name)
    cols = ["check_id", "version", "window_end", "requests", "drift.share",
            "feedback.coverage", "metrics.accuracy", "metrics.mae", "latency.p99_ms"]
    rows = [
        {c: (str(r[c]) if c == "window_end" else r.get(c)) for c in cols if c in df.columns}
        for r in df.to_dict("records")
    ]
    emit(rows, as_json=as_json, title=f"checks of {name}")


def _summary(result: Any) -> dict[str, Any]:
    f = {k: v for k, v in result.figures.items() if not isinstance(v, list)}
    return {"target": result.record.target, "version": result.record.version,
            "check_id": result.record.check_id, **f, "notes": result.notes,
            "alerts": [f"{a['rule']} {a['status']}" for a in result.alerts]}


@app.command()
def monitor(
    target: Annotated[str, typer.Argument(help="NAME@ALIAS to check, or `history`.")],
    name: Annotated[str | None, typer.Argument(help="With `history`: the model.")] = None,
    window: Annotated[str | None, typer.Option(help="Window length, e.g. 1d, 6h.")] = None,
    last: Annotated[int | None, typer.Option(help="Check the last N predictions.")] = None,
    every: Annotated[str | None, typer.Option(help="Check on this schedule, e.g. 1h.")] = None,
    metrics_port: Annotated[
        int, typer.Option(help="With --every: serve Prometheus /metrics on this port.")
    ] = 9464,
    host: Annotated[str, typer.Option(help="Address of /metrics.")] = "127.0.0.1",
    as_json: JsonOpt = False,
) -> None:
    """Check live traffic of NAME@ALIAS against its reference (once, or --every 1h)."""
    from hyperflow import monitor as mon

    _project()
    if target == "history":
        if name is None:
            raise CliError("usage: hyperflow monitor history NAME")
        _history(name, as_json)
        return
    if window is not None and last is not None:
        raise CliError("pass --window or --last, not both")
    if every is None:
        emit(_summary(mon.check(target, window=window, last=last)), as_json=as_json)
        return
    from hyperflow.monitor._service import Gauges, Watcher

    gauges = Gauges()
    gauges.serve(metrics_port, host)
    typer.echo(f"monitoring {target} every {every}; /metrics on http://{host}:{metrics_port}")
    watcher = Watcher(target, every, window, gauges=gauges)
    try:
        watcher.forever()
    except KeyboardInterrupt:
        watcher.stop.set()


@alerts_app.command("list")
def alerts_list(
    model: Annotated[str | None, typer.Option(help="Only this model's alerts.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Alerts (firing and resolved) with their deliveries."""
    from hyperflow.store import get_monitor_store

    _project()
    store = get_monitor_store()
    rows = []
    for a in store.alerts(model, limit=limit):
        events = store.events(a.alert_id)
        rows.append({
            "id": a.alert_id, "rule": a.rule, "model": a.name, "version": a.version,
            "severity": a.severity, "state": "resolved" if a.resolved_at else "firing",
            "fired_at": a.fired_at, "resolved_at": a.resolved_at,
            "delivered": sum(e.kind == "delivered" for e in events),
            "failed": sum(e.kind == "failed" for e in events),
        })
    emit(rows, as_json=as_json, title="alerts")

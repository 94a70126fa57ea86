"""The ``hyperflow`` command (Typer + rich). Heavy imports happen inside commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hyperflow.cli._common import CliError, emit, parse_assignments
from hyperflow.cli._project import Project, import_ref, load_project

__all__ = ["app", "main"]

app = typer.Typer(
    name="hyperflow",
    help="Plain Python functions from notebook to optimized production.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
PipelineOpt = Annotated[
    str | None,
    typer.Option(
        "--pipeline", "-p", help="module:attr of the pipeline (default: project's train)."
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Config KEY=VALUE (repeatable), e.g. model=forest."),
]
InputOpt = Annotated[
    list[str] | None, typer.Option("--input", "-i", help="Pipeline input KEY=VALUE (repeatable).")
]


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
) -> None:
    """hyperflow: define, run, optimize, register, serve and monitor workflows."""


def _project() -> Project:
    return load_project()


def _pipeline(project: Project, ref: str | None, which: str = "train") -> Any:
    if ref is not None:
        from hyperflow.core import Pipeline

        obj = import_ref(ref, project.root)
        if not isinstance(obj, Pipeline):
            raise CliError(f"{ref!r} is a {type(obj).__name__}, not an hf.Pipeline")
        return obj
    return project.pipeline(which)


@app.command()
def run(
    pipeline: PipelineOpt = None,
    set_: SetOpt = None,
    input_: InputOpt = None,
    output: Annotated[
        list[str] | None, typer.Option("--output", "-o", help="Output to compute (repeatable).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a pipeline once and print its outputs and per-node timings."""
    project = _project()
    pipe = _pipeline(project, pipeline)
    inputs = {**project.inputs, **parse_assignments(input_, "--input")}
    result = pipe.run(
        inputs=inputs, config=parse_assignments(set_, "--set"), outputs=output or None
    )
    data = {
        "run_id": result.run_id,
        "config": result.config,
        "outputs": dict(result),
        "timings_s": result.timings,
        "cache_hits": sum(result.cache_hits.values()),
    }
    emit(data, as_json=as_json, title=f"run of {pipe.name}")


@app.command()
def optimize(
    trials: Annotated[int | None, typer.Option("--trials", "-n", help="Number of trials.")] = None,
    pipeline: PipelineOpt = None,
    objective: Annotated[
        str | None, typer.Option(help="Metric expression (default: project's).")
    ] = None,
    minimize: Annotated[
        bool, typer.Option("--minimize", help="Minimize instead of maximize.")
    ] = False,
    constraint: Annotated[
        list[str] | None, typer.Option("--constraint", "-c", help="e.g. 'latency_ms <= 20'.")
    ] = None,
    sampler: Annotated[
        str | None, typer.Option(help="tpe, random, grid, nsga2, cmaes, qmc.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Sampler seed.")] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Trials in parallel (processes).")
    ] = None,
    study: Annotated[str | None, typer.Option(help="Study name (durable, resumable).")] = None,
    input_: InputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the pipeline's space for the config that optimizes the objective."""
    from hyperflow.optimize import Objective

    project = _project()
    pipe = _pipeline(project, pipeline)
    opts = project.optimize
    if objective is not None:
        obj = Objective(objective, maximize=not minimize, constraints=constraint or [])
    else:
        obj = project.objective_obj()
    study_obj = pipe.optimize(
        objective=obj,
        inputs={**project.inputs, **parse_assignments(input_, "--input")},
        n_trials=trials if trials is not None else int(opts.get("trials", 20)),
        sampler=sampler or opts.get("sampler", "tpe"),
        seed=seed if seed is not None else opts.get("seed"),
        n_jobs=jobs if jobs is not None else int(opts.get("n_jobs", 1)),
        study=study or opts.get("study") or f"{project.name}-{pipe.name}",
        metrics=project.metrics,
        keep=project.artifacts_out if project.predict else (),
    )
    best = study_obj.best if not obj.multi else None
    data: dict[str, Any] = {"study": study_obj.name, "trials": len(study_obj.trials)}
    if best is not None:
        data.update(
            {
                "best_value": best.value,
                "best_config": best.config,
                "best_metrics": best.metrics,
                "best_run_id": best.run_id,
            }
        )
    else:
        data["pareto_front"] = [
            {"number": t.number, "values": t.values, "config": t.config}
            for t in study_obj.pareto_front()
        ]
    emit(data, as_json=as_json, title=f"study {study_obj.name}")


@app.command()
def viz(
    pipeline: PipelineOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="mermaid, dot, svg or html.")
    ] = "mermaid",
    depth: Annotated[
        int | None, typer.Option(help="Expand nested pipelines to this depth.")
    ] = None,
    set_: SetOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Draw the pipeline as Mermaid, DOT, SVG or HTML."""
    pipe = _pipeline(_project(), pipeline)
    config = parse_assignments(set_, "--set")
    if fmt == "mermaid":
        text = pipe.to_mermaid(depth=depth, config=config)
    elif fmt == "dot":
        text = pipe.to_dot(depth=depth, config=config)
    elif fmt in ("svg", "html"):
        fig = pipe.visualize(depth=depth, config=config)
        text = fig.svg if fmt == "svg" else fig._repr_html_()
    else:
        raise CliError(f"--format must be one of mermaid, dot, svg, html, but got {fmt!r}")
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")


@app.command()
def init(name: Annotated[str, typer.Argument(help="Folder (and project) name to create.")]) -> None:
    """Create a working project in a new folder NAME (two variants, config, a test)."""
    from hyperflow.cli._scaffold import scaffold

    target = scaffold(name, Path.cwd())
    typer.echo(f"created {target}\nnext: cd {name} && hyperflow optimize --trials 5")


def main(argv: list[str] | None = None) -> int:
    """Entry point: one clear error line and exit code 1 (tracebacks with ``--debug``)."""
    import click

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        app(args=args, prog_name="hyperflow", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except click.exceptions.Abort:
        typer.echo("aborted", err=True)
        return 130
    except Exception as exc:
        if debug:
            raise
        typer.echo(f"error: {exc}", err=True)
        return 1
    return 0

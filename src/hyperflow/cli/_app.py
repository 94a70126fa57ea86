"""The ``hyperflow`` command (Typer + rich). Heavy imports happen inside commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hyperflow._errors import ConfigError
from hyperflow.cli._common import (
    CliError,
    emit,
    human_seconds,
    inert,
    parse_assignments,
    usage_error,
)
from hyperflow.cli._project import Project, import_ref, load_project

__all__ = ["app", "main"]

app = typer.Typer(
    name="hyperflow",
    help="Plain Python functions from notebook to optimized production.",
    invoke_without_command=True,
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
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
) -> None:
    """hyperflow: define, run, optimize, register, serve and monitor workflows."""
    help_without_command(ctx)
    enter_project()


def help_without_command(ctx: typer.Context) -> None:
    """A bare command group prints its help and exits 0 (as git, pip and docker do)."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


def enter_project() -> None:
    """Put the project root (found from pyproject.toml / hyperflow.toml upward; outside a
    project, the current folder, as ``python -m`` does) first on the import path, the same
    way for every command, so the project's modules import from any of its folders."""
    from hyperflow._project import find_project_root

    root = str(find_project_root() or Path.cwd())
    if root not in sys.path:
        sys.path.insert(0, root)


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
    given, config = parse_assignments(input_, "--input"), parse_assignments(set_, "--set")
    project = _project()
    pipe = _pipeline(project, pipeline)
    try:
        result = pipe.run(
            inputs={**project.inputs, **given}, config=config, outputs=output or None
        )
    except ConfigError as exc:
        if exc.input_name is None or exc.key not in config:
            raise
        usage_error(
            f"{exc.key!r} is not a config key: {exc.input_name!r} is an input of the "
            f"pipeline; pass it as --input {exc.input_name}={json.dumps(config[exc.key])}",
            "--set",
        )
    timings = result.timings
    data = {
        "run_id": result.run_id,
        "config": result.config,
        "outputs": dict(result),
        ("timings_s" if as_json else "timings"): (
            timings if as_json else {k: human_seconds(v) for k, v in timings.items()}
        ),
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
    pruner: Annotated[
        str | None,
        typer.Option(help="Stop unpromising trials: median, hyperband, successive_halving."),
    ] = None,
    input_: InputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the pipeline's space for the config that optimizes the objective.

    On an existing study (--study), --trials N runs N more trials. With --pruner, nodes
    that call hf.report are stopped early when unpromising; the summary counts them.
    """
    given = parse_assignments(input_, "--input")
    project = _project()
    pipe = _pipeline(project, pipeline)
    opts = project.optimize
    obj = _objective(project, objective, minimize, constraint or [])
    name = study or opts.get("study") or f"{project.name}-{pipe.name}"
    before = _trials_so_far(name)
    study_obj = pipe.optimize(
        objective=obj,
        inputs={**project.inputs, **given},
        n_trials=trials if trials is not None else int(opts.get("trials", 20)),
        sampler=sampler or opts.get("sampler", "tpe"),
        seed=seed if seed is not None else opts.get("seed"),
        n_jobs=jobs if jobs is not None else int(opts.get("n_jobs", 1)),
        study=name,
        metrics=project.metrics,
        keep=project.artifacts_out if project.predict else (),
        pruner=pruner or opts.get("pruner"),
    )
    emit(_summary(study_obj, before), as_json=as_json, title=f"study {study_obj.name}")


def _objective(project: Project, expr: str | None, minimize: bool, constraints: list[str]) -> Any:
    """--objective, else the project's; --minimize and --constraint apply to either."""
    from hyperflow.optimize import Objective

    if expr is None and not project.objective:
        raise CliError(
            "no objective: pass --objective EXPR (e.g. --objective accuracy) or add "
            '`objective = "<metric expression>"` under [tool.hyperflow]'
        )
    if expr is None:
        expr = str(project.objective)
        maximize = project.direction != "minimize" and not minimize
        constraints = [*project.constraints, *constraints]
    else:
        maximize = not minimize
    return Objective(expr, maximize=maximize, constraints=constraints)


def _trials_so_far(study: str) -> int:
    """Trials the study already holds (0 when it is new or nothing is stored yet)."""
    from hyperflow.store import store_exists

    if not store_exists():
        return 0
    try:
        import optuna

        from hyperflow.store import resolve_store_url

        summaries = optuna.study.get_all_study_summaries(storage=resolve_store_url())
    except Exception:  # no study table yet: a new study
        return 0
    return next((s.n_trials for s in summaries if s.study_name == study), 0)


def _summary(study: Any, before: int) -> dict[str, Any]:
    trials = study.trials
    new = trials[before:]
    states: dict[str, int] = {}
    for t in new:
        states[t.state] = states.get(t.state, 0) + 1
    data: dict[str, Any] = {
        "study": study.name,
        "trials": len(trials),
        "new_trials": len(new),
        "complete": states.get("complete", 0),
        "failed": states.get("fail", 0),
        "pruned": states.get("pruned", 0),
        "infeasible": sum(1 for t in new if t.state == "complete" and not t.feasible),
    }
    if before:
        data["note"] = f"study existed with {before} trial(s); --trials ran that many more"
    if study.stop_reason:
        data["stopped"] = study.stop_reason
    errors = [f"#{t.number}: {t.error}" for t in new if t.state == "fail" and t.error]
    if errors:
        data["errors"] = errors[:5]
    if study.objective.multi:
        data["pareto_front"] = [
            {"number": t.number, "values": t.values, "config": t.config}
            for t in study.pareto_front()
        ]
        return data
    best = study.best  # OptimizeError (exit 1) when no trial is feasible
    data.update(
        {
            "best_value": best.value,
            "best_config": best.config,
            "best_metrics": best.metrics,
            "best_run_id": best.run_id,
            "importance": _importance(study),
        }
    )
    return data


def _importance(study: Any) -> dict[str, float]:
    """Parameter importance (fANOVA), rounded; empty when it cannot be computed yet."""
    from hyperflow import OptimizeError

    try:
        return {k: round(v, 3) for k, v in study.importance().items()}
    except OptimizeError:
        return {}


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
    config = parse_assignments(set_, "--set")
    if fmt not in ("mermaid", "dot", "svg", "html"):
        usage_error(f"must be one of mermaid, dot, svg, html, but got {fmt!r}", "--format")
    pipe = _pipeline(_project(), pipeline)
    if fmt == "mermaid":
        text = pipe.to_mermaid(depth=depth, config=config)
    elif fmt == "dot":
        text = pipe.to_dot(depth=depth, config=config)
    else:
        fig = pipe.visualize(depth=depth, config=config)
        text = fig.svg if fmt == "svg" else fig._repr_html_()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")


@app.command()
def init(
    name: Annotated[str, typer.Argument(help="Folder (and project) name to create.")],
    template: Annotated[
        str, typer.Option(help="Project template: iris (two model variants) or docqa (RAG).")
    ] = "iris",
) -> None:
    """Create a working project in a new folder NAME (variants, config, a test)."""
    from hyperflow.cli._scaffold import scaffold

    target = scaffold(name, Path.cwd(), template)
    typer.echo(f"created {target}\nnext: cd {name} && hyperflow optimize --trials 5")


def command() -> Any:
    """The click command behind ``app``, with boolean flags shown as flags (no ``<bool>``)."""
    cmd = typer.main.get_command(app)
    _flags_as_flags(cmd)
    return cmd


def _flags_as_flags(cmd: Any) -> None:
    for param in getattr(cmd, "params", ()):
        if getattr(param, "is_flag", False) and getattr(param, "metavar", None) is None:
            param.metavar = ""
    make_help = cmd.get_help_option

    def help_option(ctx: Any) -> Any:
        option = make_help(ctx)
        if option is not None:
            option.metavar = ""
        return option

    cmd.get_help_option = help_option
    for sub in getattr(cmd, "commands", {}).values():
        _flags_as_flags(sub)


def main(argv: list[str] | None = None) -> int:
    """Entry point, with click's conventions: usage errors print the usage, the option and
    ``Try 'hyperflow X --help'`` and exit 2; bare groups print their help and exit 0; any
    other error is one ``error:`` line and exit 1 (``--debug`` shows the traceback)."""
    import warnings

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            command().main(args=args, prog_name="hyperflow", standalone_mode=True)
        except SystemExit as exc:
            code = exc.code
            return code if isinstance(code, int) else (0 if code is None else 1)
        except Exception as exc:
            if debug:
                raise
            typer.echo(f"error: {cli_words(inert(exc) or type(exc).__name__)}", err=True)
            return 1
    return 0


# Hints written for Python users, said the command line's way.
_CLI_HINTS = {
    "hf.runs.search() or `hyperflow runs list`": "`hyperflow runs list`",
    "hf.runs.search()": "`hyperflow runs list`",
    "hf.registry.models()": "`hyperflow models list`",
    "hf.registry.versions()": "`hyperflow models show NAME`",
    "hf.registry.versions(name)": "`hyperflow models show NAME`",
    "hf.registry.register()": "`hyperflow register`",
    "hf.registry.set_alias()": "`hyperflow promote`",
}


def cli_words(message: str) -> str:
    """``message`` with pointers to Python functions replaced by the matching command."""
    for python, cli in _CLI_HINTS.items():
        message = message.replace(python, cli)
    return message


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Warnings as one ``warning:`` line on stderr (no source line of hyperflow's code)."""
    typer.echo(f"warning: {cli_words(inert(message))}", err=True)

"""Study plots over plain trial data: offline SVG/HTML, correct best-so-far and importance."""

from __future__ import annotations

import random
import re
from pathlib import Path

import optuna
import pytest

import hyperflow as hf
from hyperflow.viz import param_importance, plot_history, plot_importance, plot_parallel


def trials(n: int = 30, seed: int = 0) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for i in range(n):
        x = rng.uniform(-3, 3)
        noise = rng.uniform(0, 1)
        kind = rng.choice(["a", "b", "c"])
        value = (x - 1) ** 2 + (5.0 if kind == "c" else 0.0) + 0.01 * noise
        out.append({"number": i, "value": value, "params": {"x": x, "noise": noise, "kind": kind}})
    out.append({"number": n, "value": None, "params": {"x": 0.0}, "state": "FAIL"})
    return out


def test_history_draws_every_completed_trial_and_the_best_so_far() -> None:
    ts = trials()
    for direction, pick in (("minimize", min), ("maximize", max)):
        svg = plot_history(ts, direction=direction).svg
        assert svg.count('class="hf-trial"') == 30  # the failed trial is left out
        best = re.search(r'class="hf-best"[^>]*data-values="([^"]*)"', svg)
        assert best is not None
        got = [float(v) for v in best.group(1).split()]
        values = [float(t["value"]) for t in ts[:30]]  # type: ignore[arg-type]
        assert got == [pick(values[: i + 1]) for i in range(30)]
        assert "1 trial(s) failed or without a value" in svg


def test_importance_ranks_the_parameter_that_drives_the_value() -> None:
    imp = param_importance(trials(60))
    assert list(imp)[-1] == "noise"
    assert imp["noise"] < 0.1
    assert sum(imp.values()) == pytest.approx(1.0)
    svg = plot_importance(trials(60)).svg
    bars = re.findall(r'data-param="(\w+)" data-importance="([^"]+)"', svg)
    assert [b[0] for b in bars] == list(imp)


def test_categorical_importance_uses_the_category_means() -> None:
    ts = [
        {"value": 10.0 if k == "slow" else 1.0 + 0.1 * i, "params": {"k": k, "j": i}}
        for i, k in enumerate(["slow", "fast"] * 6)
    ]
    imp = param_importance(ts)
    assert next(iter(imp)) == "k" and imp["k"] > 0.8


def test_parallel_coordinates_draw_one_line_per_trial_best_on_top() -> None:
    ts = trials()
    svg = plot_parallel(ts).svg
    lines = re.findall(r'<polyline class="hf-line"[^>]*data-number="(\d+)"', svg)
    assert len(lines) == 30
    best = min(range(30), key=lambda i: ts[i]["value"])  # type: ignore[arg-type, return-value]
    assert lines[-1] == str(best)
    axes = re.findall(r'data-axis="(\w+)"', svg)
    assert axes[-1] == "value" and set(axes) == {"x", "noise", "kind", "value"}
    with pytest.raises(hf.VizError, match="no trial has parameter"):
        plot_parallel(ts, params=["nope"])


def test_optuna_trials_are_accepted() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(
        lambda t: (
            (t.suggest_float("lr", 1e-4, 1.0, log=True) - 0.01) ** 2
            + t.suggest_int("layers", 1, 4) * 0.0
        ),
        n_trials=12,
    )
    svg = plot_parallel(study.trials).svg
    assert svg.count('class="hf-line"') == 12
    assert plot_history(study.trials).svg.count('class="hf-trial"') == 12
    assert next(iter(param_importance(study.trials))) == "lr"


@pytest.mark.parametrize("plot", [plot_history, plot_importance, plot_parallel])
def test_plots_are_self_contained_offline(plot: object, tmp_path: Path) -> None:
    fig = plot(trials())  # type: ignore[operator]
    html = fig.save(tmp_path / "plot.html").read_text()
    svg = fig.save(tmp_path / "plot.svg").read_text()
    for text in (html, svg):
        urls = re.findall(r"https?://[^\s\"'<>]+", text)
        assert urls == ["http://www.w3.org/2000/svg"], urls
        assert "<script" not in text and "<link" not in text and "@import" not in text


def test_plots_say_what_is_missing() -> None:
    with pytest.raises(hf.VizError, match="none completed"):
        plot_history([{"value": None, "state": "FAIL"}])
    with pytest.raises(hf.VizError, match="'minimize' or 'maximize'"):
        plot_history(trials(), direction="down")


def _with_pruned() -> list[dict[str, object]]:
    ts = trials(12)
    ts += [
        {"number": 13, "value": 0.5, "params": {"x": 2.5, "kind": "a"}, "state": "PRUNED"},
        {"number": 14, "value": -9.0, "params": {"x": -2.0, "kind": "d"}, "state": "PRUNED"},
        {"number": 15, "value": None, "params": {"x": 0.1}, "state": "PRUNED"},  # no report
    ]
    return ts


def test_history_draws_pruned_trials_grey_apart_from_the_best() -> None:
    svg = plot_history(_with_pruned(), direction="minimize").svg
    marks = re.findall(r'<circle class="hf-pruned"[^>]*data-number="(\d+)"[^>]*>', svg)
    assert marks == ["13", "14"]  # the one without a reported value has no mark
    assert re.search(r'class="hf-pruned"[^>]*fill="none" stroke="#a3a3a3"', svg)
    best = re.search(r'class="hf-best"[^>]*data-values="([^"]*)"', svg)
    assert best is not None and min(float(v) for v in best.group(1).split()) > -9.0
    assert svg.count('class="hf-trial"') == 12
    assert "2 pruned · 2 trial(s) failed or without a value" in svg
    assert 'class="hf-legend"' in svg and "pruned (last reported value)" in svg
    assert 'class="hf-legend"' not in plot_history(trials(12)).svg  # no pruned: no legend


def test_parallel_and_importance_show_pruned_trials_apart() -> None:
    ts = _with_pruned()
    svg = plot_parallel(ts).svg
    assert svg.count('class="hf-line"') == 12
    lines = re.findall(r'<polyline class="hf-pruned"[^>]*stroke-dasharray="4 3"', svg)
    assert len(lines) == 2 and "pruned (last reported value)" in svg
    assert svg.index('class="hf-pruned"') < svg.index('class="hf-line"')  # drawn beneath
    imp = plot_importance(ts).svg
    assert "over 12 complete trial(s); 2 pruned trial(s) not counted" in imp
    assert param_importance(ts) == param_importance(trials(12))  # pruned ones not counted


def test_a_study_with_a_pruner_plots_its_pruned_trials() -> None:
    from tests.optimize import pipelines as pl

    pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)
    study = pl.epochs_pipeline.optimize(
        objective="score", n_trials=10, seed=1, pruner=pruner, track=False
    )
    n_pruned = sum(t.state == "pruned" for t in study.trials)
    assert n_pruned > 0
    assert study.plot_history().svg.count('class="hf-pruned"') == n_pruned

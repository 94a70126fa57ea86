"""Study plots over plain trial data: history, parameter importance, parallel coordinates.

Each returns a ``Figure`` (pure SVG, no scripts, no CDN). ``trials`` is any
iterable of dicts, ``hf.viz.Trial`` or Optuna ``FrozenTrial`` objects with
``number``, ``value``, ``params`` and ``state``. Trials in state ``PRUNED`` that
carry a value (their last reported one) are drawn apart: grey hollow marks in the
history, grey dashed lines in parallel coordinates, with a legend; they never count
as the best and never feed the importance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hyperflow._errors import VizError
from hyperflow.viz._figure import Figure
from hyperflow.viz._text import FONT_FAMILY, escape, fmt, shorten, text_width
from hyperflow.viz._trials import Trial, as_trials, completed, param_importance, pruned

__all__ = ["nice_ticks", "plot_history", "plot_importance", "plot_parallel"]

W, H = 640.0, 360.0
INK, GRID, DOT, BEST = "#0f172a", "#e2e8f0", "#64748b", "#ea580c"
PRUNED = "#a3a3a3"  # pruned trials: grey, hollow / dashed, never the best


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[lo, hi]``.

    Example:
        >>> nice_ticks(0.13, 0.97)
        [0.2, 0.4, 0.6, 0.8]
    """
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        return [lo]
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 12))
        v += step
    return ticks


def _num(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-3:
        return f"{v:.2g}"
    return f"{v:.4g}"


def _direction(direction: str) -> bool:
    if direction not in ("minimize", "maximize"):
        raise VizError(f"direction must be 'minimize' or 'maximize', but got {direction!r}")
    return direction == "maximize"


def _need(done: list[Trial], total: int, what: str) -> None:
    if not done:
        raise VizError(
            f"{what} needs at least one completed trial with a finite value, but got "
            f"{total} trial(s) and none completed; run the study first"
        )


def _svg(title: str, body: str, width: float = W, height: float = H) -> Figure:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{fmt(width)}" height="{fmt(height)}" '
        f'viewBox="0 0 {fmt(width)} {fmt(height)}" font-family="{FONT_FAMILY}" class="hf-plot">'
        f'<title>{escape(title)}</title><rect width="100%" height="100%" fill="#ffffff"/>'
        f'<text x="16" y="24" font-size="14" font-weight="bold" fill="{INK}">{escape(title)}</text>'
        f"{body}</svg>"
    )
    return Figure(svg, title=title, width=width, height=height)


class _Scale:
    def __init__(self, lo: float, hi: float, a: float, b: float, log: bool = False) -> None:
        if log:
            lo, hi = math.log10(lo), math.log10(hi)
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        self.lo, self.hi, self.a, self.b, self.log = lo, hi, a, b, log

    def __call__(self, v: float) -> float:
        if self.log:
            v = math.log10(v)
        return self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)

    def ticks(self) -> list[float]:
        if self.log:
            return [10.0**e for e in range(math.ceil(self.lo), math.floor(self.hi) + 1)]
        return nice_ticks(self.lo, self.hi)


def plot_history(
    trials: Iterable[Any], *, direction: str = "minimize", title: str = "Optimization history"
) -> Figure:
    """Objective value per trial, with the best value so far as a step line.

    Pruned trials with a last reported value are grey hollow marks (``hf-pruned``).

    Example:
        >>> import hyperflow as hf
        >>> fig = hf.viz.plot_history([{"value": v} for v in (3.0, 1.0, 2.0)])
        >>> fig.svg.count('class="hf-trial"')
        3
    """
    maximize = _direction(direction)
    every = as_trials(trials)
    done = completed(every)
    _need(done, len(every), "plot_history")
    cut = pruned(every)
    values = [t.value for t in done + cut if t.value is not None]
    numbers = [t.number for t in done + cut]
    left, right, top, bottom = 64.0, W - 24, 48.0, H - 48
    xs = _Scale(min(numbers), max(numbers), left, right)
    ys = _Scale(min(values), max(values), bottom, top)
    parts = [_grid(xs, ys, left, right, top, bottom, "trial", "value")]
    parts += [_pruned_mark(t, xs(t.number), ys(t.value or 0.0)) for t in cut]
    best_values, steps, marks = _best_line(done, xs, ys, maximize)
    parts += marks
    pts = " ".join(f"{fmt(x)},{fmt(y)}" for x, y in steps)
    parts.append(
        f'<polyline class="hf-best" points="{pts}" fill="none" stroke="{BEST}" stroke-width="2" '
        f'data-values="{" ".join(repr(b) for b in best_values)}"/>'
    )
    failed = len(every) - len(done) - len(cut)
    note = f"best {_num(best_values[-1])} ({direction})"
    note += f" · {len(cut)} pruned" if cut else ""
    note += f" · {failed} trial(s) failed or without a value" if failed else ""
    parts.append(
        f'<text x="{fmt(right)}" y="24" font-size="11" text-anchor="end" fill="{BEST}">'
        f"{escape(note)}</text>"
    )
    if cut:
        parts.append(_legend(right, H - 10, "pruned (last reported value)", "mark"))
    return _svg(title, "".join(parts))


def _best_line(
    done: list[Trial], xs: _Scale, ys: _Scale, maximize: bool
) -> tuple[list[float], list[tuple[float, float]], list[str]]:
    """Best-so-far values, the step line's points, and the complete trials' marks."""
    best: float | None = None
    steps: list[tuple[float, float]] = []
    best_values: list[float] = []
    marks = []
    for t in done:
        v = t.value
        assert v is not None
        if best is None or (v > best if maximize else v < best):
            best = v
        best_values.append(best)
        x, y = xs(t.number), ys(best)
        if steps:
            steps.append((x, steps[-1][1]))
        steps.append((x, y))
        marks.append(
            f'<circle class="hf-trial" cx="{fmt(x)}" cy="{fmt(ys(v))}" r="3.5" fill="{DOT}" '
            f'fill-opacity="0.75" data-number="{t.number}" data-value="{v!r}">'
            f"<title>trial {t.number}: {escape(_num(v))}</title></circle>"
        )
    return best_values, steps, marks


def _pruned_mark(t: Trial, x: float, y: float) -> str:
    return (
        f'<circle class="hf-pruned" cx="{fmt(x)}" cy="{fmt(y)}" r="3.5" fill="none" '
        f'stroke="{PRUNED}" stroke-width="1.5" data-number="{t.number}" data-value="{t.value!r}">'
        f"<title>trial {t.number}: pruned at {escape(_num(t.value or 0.0))}</title></circle>"
    )


def _legend(right: float, y: float, label: str, kind: str) -> str:
    """One legend entry, right-aligned at ``right``: a hollow mark or a dashed line."""
    x = right - text_width(label, 11) - 8
    symbol = (
        f'<circle cx="{fmt(x - 8)}" cy="{fmt(y - 4)}" r="3.5" fill="none" stroke="{PRUNED}" '
        'stroke-width="1.5"/>'
        if kind == "mark"
        else f'<line x1="{fmt(x - 24)}" x2="{fmt(x - 4)}" y1="{fmt(y - 4)}" y2="{fmt(y - 4)}" '
        f'stroke="{PRUNED}" stroke-width="1.5" stroke-dasharray="4 3"/>'
    )
    return (
        f'<g class="hf-legend">{symbol}<text x="{fmt(right)}" y="{fmt(y)}" font-size="11" '
        f'text-anchor="end" fill="{DOT}">{escape(label)}</text></g>'
    )


def _grid(
    xs: _Scale, ys: _Scale, left: float, right: float, top: float, bottom: float, xl: str, yl: str
) -> str:
    out = [f'<g class="hf-axes" font-size="10" fill="{DOT}">']
    for v in ys.ticks():
        y = ys(v)
        out.append(
            f'<line x1="{fmt(left)}" x2="{fmt(right)}" y1="{fmt(y)}" y2="{fmt(y)}" '
            f'stroke="{GRID}"/>'
            f'<text x="{fmt(left - 6)}" y="{fmt(y + 3)}" text-anchor="end">{_num(v)}</text>'
        )
    for v in xs.ticks():
        if abs(v - round(v)) > 1e-9:
            continue
        x = xs(v)
        out.append(
            f'<text x="{fmt(x)}" y="{fmt(bottom + 16)}" text-anchor="middle">{round(v)}</text>'
        )
    out.append(
        f'<line x1="{fmt(left)}" x2="{fmt(right)}" y1="{fmt(bottom)}" y2="{fmt(bottom)}" '
        f'stroke="{DOT}"/><text x="{fmt((left + right) / 2)}" y="{fmt(bottom + 34)}" '
        f'text-anchor="middle">{escape(xl)}</text><text x="16" y="{fmt((top + bottom) / 2)}" '
        f'transform="rotate(-90 16 {fmt((top + bottom) / 2)})" text-anchor="middle">'
        f"{escape(yl)}</text></g>"
    )
    return "".join(out)


def plot_importance(trials: Iterable[Any], *, title: str = "Parameter importance") -> Figure:
    """Horizontal bars of ``param_importance(trials)``, most important first.

    Example:
        >>> import hyperflow as hf
        >>> ts = [{"value": x * x, "params": {"x": x, "k": "ab"[x % 2]}} for x in range(6)]
        >>> 'data-param="x"' in hf.viz.plot_importance(ts).svg
        True
    """
    every = as_trials(trials)
    _need(completed(every), len(every), "plot_importance")
    imp = param_importance(every)
    cut = pruned(every)
    if not imp:
        raise VizError("plot_importance needs trials with params, but no trial has any")
    label_w = min(200.0, max(text_width(p, 12) for p in imp) + 16)
    left, right, top, row = 16 + label_w, W - 64, 48.0, 26.0
    height = top + row * len(imp) + 24
    parts = []
    for i, (name, share) in enumerate(imp.items()):
        y = top + i * row
        w = max(share * (right - left), 0.0)
        parts.append(
            f'<text x="{fmt(left - 8)}" y="{fmt(y + 15)}" font-size="12" text-anchor="end" '
            f'fill="{INK}">{escape(shorten(name, 12, label_w - 8))}</text>'
            f'<rect class="hf-bar" x="{fmt(left)}" y="{fmt(y + 3)}" width="{fmt(w)}" height="18" '
            f'fill="#2563eb" data-param="{escape(name)}" data-importance="{share!r}">'
            f"<title>{escape(name)}: {share:.1%}</title></rect>"
            f'<text x="{fmt(left + w + 6)}" y="{fmt(y + 15)}" font-size="11" fill="{DOT}">'
            f"{share:.0%}</text>"
        )
    n_done = len(completed(every))
    note = f"over {n_done} complete trial(s)"
    note += f"; {len(cut)} pruned trial(s) not counted" if cut else ""
    parts.append(
        f'<text class="hf-note" x="{fmt(W - 16)}" y="24" font-size="11" text-anchor="end" '
        f'fill="{PRUNED if cut else DOT}" data-pruned="{len(cut)}">{escape(note)}</text>'
    )
    return _svg(title, "".join(parts), W, max(height, 120.0))


def _axis_scale(
    values: list[Any], a: float, b: float
) -> tuple[Callable[[Any], float], list[tuple[str, float]]]:
    """A function value -> y and the labelled ticks, for numbers or categories."""
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if numeric:
        lo, hi = float(min(values)), float(max(values))
        log = lo > 0 and hi / lo >= 1000
        s = _Scale(lo, hi, a, b, log)
        return (lambda v: s(float(v))), [(_num(t), s(t)) for t in s.ticks() if lo <= t <= hi]
    cats = sorted({repr(v) if not isinstance(v, str) else v for v in values})
    step = (a - b) / max(len(cats) - 1, 1)
    where = {c: a - i * step if len(cats) > 1 else (a + b) / 2 for i, c in enumerate(cats)}

    def f(v: Any) -> float:
        return where[v if isinstance(v, str) else repr(v)]

    return f, list(where.items())


def plot_parallel(
    trials: Iterable[Any],
    *,
    direction: str = "minimize",
    params: Sequence[str] | None = None,
    title: str = "Parallel coordinates",
) -> Figure:
    """One vertical axis per parameter plus the objective; one line per trial.

    Lines are coloured by value (dark = better); the best trial is drawn on top.
    Numeric axes are linear (log when the values span three decades or more),
    categorical axes space their categories evenly.

    Example:
        >>> import hyperflow as hf
        >>> ts = [{"value": x / 10, "params": {"x": x, "kind": "ab"[x % 2]}} for x in range(5)]
        >>> hf.viz.plot_parallel(ts).svg.count('class="hf-line"')
        5
    """
    maximize = _direction(direction)
    every = as_trials(trials)
    done = completed(every)
    _need(done, len(every), "plot_parallel")
    names = list(params) if params is not None else list(param_importance(done))
    unknown = [p for p in names if not any(p in t.params for t in done)]
    if unknown:
        known = sorted({p for t in done for p in t.params})
        raise VizError(f"plot_parallel: no trial has parameter(s) {unknown}; known: {known}")
    axes = [*names, "value"]
    cut = pruned(every)
    scales, parts = _parallel_axes(done + cut, axes)
    lines = [_pruned_line(t, axes, scales) for t in cut]  # beneath the complete ones
    lines += _parallel_lines(done, axes, scales, maximize)
    if cut:
        parts.append(_legend(_PARALLEL[1], H - 8, "pruned (last reported value)", "line"))
    return _svg(title, "".join(lines) + "".join(parts))


# the plot area of plot_parallel: left, right, top, bottom
_PARALLEL = (48.0, W - 48, 56.0, H - 40)


def _axis_x(i: int, n_axes: int) -> float:
    left, right, _, _ = _PARALLEL
    gap = (right - left) / max(n_axes - 1, 1)
    return left + i * gap if n_axes > 1 else (left + right) / 2


def _parallel_axes(
    done: list[Trial], axes: list[str]
) -> tuple[list[Callable[[Any], float]], list[str]]:
    """Each axis's scale (value -> y) and its drawing: line, name and tick labels."""
    left, right, top, bottom = _PARALLEL
    gap = (right - left) / max(len(axes) - 1, 1)
    scales = []
    parts = []
    for i, name in enumerate(axes):
        if name == "value":
            vals: list[Any] = [t.value for t in done]
        else:
            vals = [t.params[name] for t in done if name in t.params]
        f, ticks = _axis_scale(vals, bottom, top)
        scales.append(f)
        x = _axis_x(i, len(axes))
        parts.append(
            f'<g class="hf-axis" data-axis="{escape(name)}" font-size="10" fill="{DOT}" '
            'paint-order="stroke" stroke="#ffffff" stroke-width="3" stroke-linejoin="round">'
            f'<line x1="{fmt(x)}" x2="{fmt(x)}" y1="{fmt(top)}" y2="{fmt(bottom)}" '
            f'stroke="{DOT}" stroke-width="1"/>'
            f'<text x="{fmt(x)}" y="{fmt(top - 10)}" text-anchor="middle" font-size="11" '
            f'fill="{INK}">{escape(shorten(name, 11, gap - 4))}</text>'
            + "".join(
                f'<text x="{fmt(x + 4)}" y="{fmt(y + 3)}">'
                f"{escape(shorten(lab, 10, gap / 2))}</text>"
                for lab, y in ticks
            )
            + "</g>"
        )
    return scales, parts


def _points(t: Trial, axes: list[str], scales: list[Callable[[Any], float]]) -> str:
    pts = []
    for i, name in enumerate(axes):
        v = t.value if name == "value" else t.params.get(name)
        if v is None:
            continue
        pts.append(f"{fmt(_axis_x(i, len(axes)))},{fmt(scales[i](v))}")
    return " ".join(pts)


def _pruned_line(t: Trial, axes: list[str], scales: list[Callable[[Any], float]]) -> str:
    return (
        f'<polyline class="hf-pruned" points="{_points(t, axes, scales)}" fill="none" '
        f'stroke="{PRUNED}" stroke-width="1" stroke-dasharray="4 3" stroke-opacity="0.8" '
        f'data-number="{t.number}" data-value="{t.value!r}"><title>trial {t.number}: pruned at '
        f"{escape(_num(t.value or 0.0))}</title></polyline>"
    )


def _parallel_lines(
    done: list[Trial], axes: list[str], scales: list[Callable[[Any], float]], maximize: bool
) -> list[str]:
    """One polyline per trial, shaded by value (dark = better), the best one last and on top."""
    values = [t.value for t in done if t.value is not None]
    lo, hi = min(values), max(values)

    def goodness(v: float) -> float:
        g = 0.5 if hi == lo else (v - lo) / (hi - lo)
        return g if maximize else 1 - g

    best = max(done, key=lambda t: goodness(t.value if t.value is not None else lo))
    lines = []
    for t in sorted(done, key=lambda t: (t is best, goodness(t.value or 0.0))):
        g = goodness(t.value if t.value is not None else lo)
        shade = round(220 - 190 * g)
        color = BEST if t is best else f"rgb({shade},{shade + 20 if shade < 235 else 255},255)"
        width = 2.5 if t is best else 1.2
        lines.append(
            f'<polyline class="hf-line" points="{_points(t, axes, scales)}" fill="none" '
            f'stroke="{color}" '
            f'stroke-width="{width}" stroke-opacity="0.85" data-number="{t.number}" '
            f'data-value="{t.value!r}"><title>trial {t.number}: {escape(_num(t.value or 0.0))}'
            f"</title></polyline>"
        )
    return lines

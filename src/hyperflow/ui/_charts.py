"""The few charts ``hyperflow.viz`` does not draw: metric step curves, a Pareto scatter, and
figures over time (monitoring: series, a confidence band, dashed thresholds).

Same look as the viz plots (SVG strings, every text escaped); the rest comes from viz.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from html import escape

from hyperflow.viz import nice_ticks

__all__ = ["line_chart", "scatter_chart", "time_chart"]

W, H = 640.0, 300.0
_LEFT, _RIGHT, _TOP, _BOTTOM = 64.0, W - 24, 36.0, H - 40
_COLORS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")


def _f(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _scale(lo: float, hi: float, a: float, b: float) -> tuple[float, float, float, float]:
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi, a, b


def _map(v: float, s: tuple[float, float, float, float]) -> float:
    lo, hi, a, b = s
    return a + (v - lo) / (hi - lo) * (b - a)


def _num_tick(t: float) -> str:
    return f"{t:.6g}"


def _time_tick(t: float) -> str:
    return dt.datetime.fromtimestamp(t, tz=dt.UTC).strftime("%m-%d %H:%M")


def _axes(xs: tuple[float, float, float, float], ys: tuple[float, float, float, float],
          xlabel: str, ylabel: str, xfmt: Callable[[float], str] = _num_tick) -> list[str]:
    parts = [
        f'<line x1="{_LEFT}" y1="{_BOTTOM}" x2="{_RIGHT}" y2="{_BOTTOM}" stroke="#999"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_BOTTOM}" stroke="#999"/>',
    ]
    for t in nice_ticks(xs[0], xs[1]):
        x = _map(t, xs)
        parts.append(f'<text x="{_f(x)}" y="{_BOTTOM + 16}" font-size="10" '
                     f'text-anchor="middle">{escape(xfmt(t))}</text>')
    for t in nice_ticks(ys[0], ys[1]):
        y = _map(t, ys)
        parts.append(f'<line x1="{_LEFT}" y1="{_f(y)}" x2="{_RIGHT}" y2="{_f(y)}" '
                     f'stroke="#eee"/><text x="{_LEFT - 6}" y="{_f(y + 3)}" font-size="10" '
                     f'text-anchor="end">{t:.6g}</text>')
    parts.append(f'<text x="{(_LEFT + _RIGHT) / 2}" y="{H - 8}" font-size="11" '
                 f'text-anchor="middle">{escape(xlabel)}</text>')
    parts.append(f'<text x="14" y="{(_TOP + _BOTTOM) / 2}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 14 {(_TOP + _BOTTOM) / 2})">{escape(ylabel)}</text>')
    return parts


def _svg(title: str, parts: list[str], cls: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" viewBox="0 0 {W:g} {H:g}" '
        f'width="{W:g}" height="{H:g}" font-family="sans-serif" role="img">'
        f"<title>{escape(title)}</title>"
        f'<text x="{_LEFT}" y="20" font-size="13" font-weight="600">{escape(title)}</text>'
        + "".join(parts) + "</svg>"
    )


def line_chart(
    title: str, series: Sequence[tuple[str, Sequence[tuple[float, float]]]], xlabel: str = "step"
) -> str:
    """Step curves: one polyline per ``(label, [(step, value), ...])`` series."""
    points = [p for _, pts in series for p in pts]
    if not points:
        return ""
    xs = _scale(min(p[0] for p in points), max(p[0] for p in points), _LEFT, _RIGHT)
    ys = _scale(min(p[1] for p in points), max(p[1] for p in points), _BOTTOM, _TOP)
    parts = _axes(xs, ys, xlabel, title)
    for i, (label, pts) in enumerate(series):
        color = _COLORS[i % len(_COLORS)]
        coords = " ".join(f"{_f(_map(x, xs))},{_f(_map(y, ys))}" for x, y in pts)
        parts.append(f'<polyline class="hf-curve" points="{coords}" fill="none" '
                     f'stroke="{color}" stroke-width="2"><title>{escape(label)}</title></polyline>')
        if len(pts) == 1:
            x, y = pts[0]
            parts.append(f'<circle cx="{_f(_map(x, xs))}" cy="{_f(_map(y, ys))}" r="3" '
                         f'fill="{color}"/>')
    return _svg(title, parts, "hf-line-chart")


def scatter_chart(
    title: str,
    points: Sequence[tuple[float, float, str]],
    front: Sequence[tuple[float, float, str]],
    labels: tuple[str, str],
) -> str:
    """Points ``(x, y, label)`` in grey, the Pareto ``front`` on top in colour and joined."""
    every = [*points, *front]
    if not every:
        return ""
    xs = _scale(min(p[0] for p in every), max(p[0] for p in every), _LEFT, _RIGHT)
    ys = _scale(min(p[1] for p in every), max(p[1] for p in every), _BOTTOM, _TOP)
    parts = _axes(xs, ys, labels[0], labels[1])
    for x, y, label in points:
        parts.append(f'<circle class="hf-point" cx="{_f(_map(x, xs))}" cy="{_f(_map(y, ys))}" '
                     f'r="2.5" fill="#9ca3af"><title>{escape(label)}</title></circle>')
    ordered = sorted(front)
    coords = " ".join(f"{_f(_map(x, xs))},{_f(_map(y, ys))}" for x, y, _ in ordered)
    parts.append(f'<polyline points="{coords}" fill="none" stroke="#dc2626" stroke-width="1.5"/>')
    for x, y, label in ordered:
        parts.append(f'<circle class="hf-pareto" cx="{_f(_map(x, xs))}" cy="{_f(_map(y, ys))}" '
                     f'r="4" fill="#dc2626"><title>{escape(label)}</title></circle>')
    return _svg(title, parts, "hf-scatter-chart")


Points = Sequence[tuple[float, float]]


def time_chart(
    title: str,
    series: Sequence[tuple[str, Points]],
    *,
    ylabel: str = "",
    band: Sequence[tuple[float, float, float]] = (),
    dashed: Sequence[tuple[str, Points]] = (),
) -> str:
    """Figures over time (x: epoch seconds, shown in UTC): one line per series, an optional
    shaded ``band`` of ``(t, low, high)`` under them and ``dashed`` reference lines."""
    finite = [(t, v) for _, pts in [*series, *dashed] for t, v in pts if math.isfinite(v)]
    band = [b for b in band if math.isfinite(b[1]) and math.isfinite(b[2])]
    finite += [(t, v) for t, lo, hi in band for v in (lo, hi)]
    if not finite:
        return ""
    xs = _scale(min(p[0] for p in finite), max(p[0] for p in finite), _LEFT, _RIGHT)
    ys = _scale(min(p[1] for p in finite), max(p[1] for p in finite), _BOTTOM, _TOP)
    parts = _axes(xs, ys, "time (UTC)", ylabel or title, _time_tick)
    if band:
        upper = [f"{_f(_map(t, xs))},{_f(_map(hi, ys))}" for t, _, hi in band]
        lower = [f"{_f(_map(t, xs))},{_f(_map(lo, ys))}" for t, lo, _ in reversed(band)]
        parts.append(f'<polygon class="hf-band" points="{" ".join(upper + lower)}" '
                     'fill="#93c5fd" fill-opacity="0.45" stroke="none"><title>95% confidence '
                     "interval</title></polygon>")
    styles = [("", s) for s in series] + [(' stroke-dasharray="5 4"', d) for d in dashed]
    for i, (dash, (label, pts)) in enumerate(styles):
        color = "#dc2626" if dash else _COLORS[i % len(_COLORS)]
        shown = [(t, v) for t, v in pts if math.isfinite(v)]
        coords = " ".join(f"{_f(_map(t, xs))},{_f(_map(v, ys))}" for t, v in shown)
        parts.append(f'<polyline class="hf-curve" points="{coords}" fill="none" stroke="{color}" '
                     f'stroke-width="2"{dash}><title>{escape(label)}</title></polyline>')
        parts += [f'<circle cx="{_f(_map(t, xs))}" cy="{_f(_map(v, ys))}" r="2.5" fill="{color}">'
                  f"<title>{escape(label)}: {v:.4g}</title></circle>" for t, v in shown if not dash]
    parts += _legend([(label, "#dc2626" if dash else _COLORS[i % len(_COLORS)], bool(dash))
                      for i, (dash, (label, _)) in enumerate(styles)])
    return _svg(title, parts, "hf-time-chart")


def _legend(entries: Sequence[tuple[str, str, bool]], most: int = 4) -> list[str]:
    """A one-line key at the top right: a colour swatch and a (shortened) label per line."""
    if len(entries) < 2:
        return []
    parts, x = [], W - 24.0
    shown = list(entries[:most])
    if len(entries) > most:
        more = f"+{len(entries) - most} more"
        x -= 6.0 * len(more)
        parts.append(f'<text x="{_f(x)}" y="20" font-size="10" fill="#666">{more}</text>')
    for label, color, dash in reversed(shown):
        text = label if len(label) <= 16 else label[:15] + "…"
        x -= 6.0 * len(text) + 26
        style = ' stroke-dasharray="4 3"' if dash else ""
        parts.append(f'<line class="hf-key" x1="{_f(x)}" y1="17" x2="{_f(x + 14)}" y2="17" '
                     f'stroke="{color}" stroke-width="2"{style}/><text x="{_f(x + 18)}" y="20" '
                     f'font-size="10">{escape(text)}</text>')
    return parts

"""SVG pictures of pipelines and of runs, drawn from ``hyperflow.core.graph_view``."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hyperflow._errors import VizError
from hyperflow.core import GraphView, VCluster, VNode, graph_view
from hyperflow.viz._compound import CLUSTER_FONT, CLUSTER_PAD, DiagramLayout, Rect, layout_view
from hyperflow.viz._figure import Figure
from hyperflow.viz._text import FONT_FAMILY, escape, fmt, shorten, text_width

if TYPE_CHECKING:
    from hyperflow.core import Pipeline
    from hyperflow.engine import RunResult

__all__ = ["RunMarks", "pipeline_figure", "run_figure", "view_figure"]

FONT = 12.0
SMALL = 10.0
PAD_X = 12.0
HEIGHT = 32.0
RUN_HEIGHT = 40.0
SKEW = 8.0
MAX_LABEL = 200.0
MARGIN = 16.0
HEADER = 24.0
# a sequential scale from quick (light) to slow (dark)
_HEAT = ((255, 247, 236), (253, 212, 158), (252, 141, 89), (215, 48, 31), (127, 0, 0))


@dataclass(slots=True)
class RunMarks:
    """What a run adds to the picture: per-node seconds, cache hits, the failed node."""

    timings: Mapping[str, float]
    cache_hits: Mapping[str, bool]
    failed_node: str | None = None


def _heat(frac: float) -> str:
    frac = min(1.0, max(0.0, frac))
    pos = frac * (len(_HEAT) - 1)
    i = min(int(pos), len(_HEAT) - 2)
    t = pos - i
    a, b = _HEAT[i], _HEAT[i + 1]
    r, g, bl = (round(a[k] + (b[k] - a[k]) * t) for k in range(3))
    return f"#{r:02x}{g:02x}{bl:02x}"


def _seconds(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1.0:
        return f"{s * 1e3:.1f} ms"
    if s < 120:
        return f"{s:.2f} s"
    return f"{s / 60:.1f} min"


def _label(n: VNode) -> str:
    return shorten(n.label, FONT, MAX_LABEL)


def _sub(n: VNode, marks: RunMarks | None) -> str:
    """The second line of a node in a run picture."""
    if marks is None or n.kind == "input":
        return ""
    if n.key == marks.failed_node:
        return "✗ failed"
    t = marks.timings.get(n.key)
    if t is None:
        return "not run"
    return ("⚡ cached · " if marks.cache_hits.get(n.key) else "") + _seconds(t)


def _size(n: VNode, marks: RunMarks | None) -> tuple[float, float]:
    w = max(text_width(_label(n), FONT), text_width(_sub(n, marks), SMALL)) + 2 * PAD_X
    if n.kind == "input":
        w += 2 * SKEW
    if n.kind == "pipeline":
        w += 4
    if n.is_output:
        w += 6
    h = HEIGHT if marks is None else RUN_HEIGHT
    return max(w, 56.0), h


def _shape(n: VNode, r: Rect, fill: str, stroke: str, width: float, dash: str) -> tuple[str, str]:
    x, y, w, h = r.x, r.y, r.w, r.h
    style = f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}'

    def rect(x: float, y: float, w: float, h: float, rx: float, style: str) -> str:
        return (
            f'<rect x="{fmt(x)}" y="{fmt(y)}" width="{fmt(w)}" height="{fmt(h)}" '
            f'rx="{fmt(rx)}" {style}/>'
        )

    if n.kind == "input":
        pts = [(x + SKEW, y), (x + w, y), (x + w - SKEW, y + h), (x, y + h)]
        p = " ".join(f"{fmt(a)},{fmt(b)}" for a, b in pts)
        return "parallelogram", f'<polygon points="{p}" {style}/>'
    if n.kind == "pipeline":
        return "stack", rect(x + 4, y, w - 4, h - 4, 3, style) + rect(
            x, y + 4, w - 4, h - 4, 3, style
        )
    if n.is_output:
        inner = f'fill="none" stroke="{stroke}" stroke-width="1"{dash}'
        return "double", rect(x, y, w, h, 9, style) + rect(x + 3, y + 3, w - 6, h - 6, 6, inner)
    return "rounded", rect(x, y, w, h, 6, style)


def _node_svg(n: VNode, r: Rect, marks: RunMarks | None) -> str:
    fill, stroke, width, dash, text_fill = "#ffffff", "#475569", 1.2, "", "#0f172a"
    if n.kind == "input":
        fill, stroke = "#eef2ff", "#6366f1"
    elif n.kind == "pipeline":
        fill = "#f1f5f9"
    if n.kind == "variant" and n.active:
        fill, stroke, width = "#eff6ff", "#2563eb", 2.4
    attrs = [f'data-id="{escape(n.id)}"', f'data-key="{escape(n.key)}"', f'data-kind="{n.kind}"']
    attrs.append(f'data-active="{str(n.active).lower()}"')
    attrs.append(f'data-output="{str(n.is_output).lower()}"')
    tooltip = n.tooltip
    sub = _sub(n, marks)
    if marks is not None and n.kind != "input":
        t = marks.timings.get(n.key)
        if n.key == marks.failed_node:
            fill, stroke, width, text_fill = "#fee2e2", "#dc2626", 3.0, "#7f1d1d"
            attrs.append('data-failed="true"')
        elif t is None:
            fill, stroke, text_fill = "#f8fafc", "#cbd5e1", "#94a3b8"
            attrs.append('data-ran="false"')
        else:
            top = max(marks.timings.values(), default=0.0) or 1.0
            frac = (t / top) ** 0.5
            fill = _heat(frac)
            text_fill = "#ffffff" if frac > 0.62 else "#0f172a"
            attrs.append(f'data-seconds="{t:.6g}"')
            if marks.cache_hits.get(n.key):
                stroke, width = "#15803d", 3.0
                attrs.append('data-cache-hit="true"')
        if sub:
            tooltip += f"\n{sub}"
    if not n.active:
        dash = ' stroke-dasharray="5 3"'
        attrs.append('opacity="0.55"')
    shape, body = _shape(n, r, fill, stroke, width, dash)
    label = _label(n)
    lw = text_width(label, FONT)
    cx = r.x + r.w / 2 - (2 if n.kind == "pipeline" else 0)
    cy = r.y + r.h / 2 + (2 if n.kind == "pipeline" else 0)
    weight = ' font-weight="bold"' if n.is_output else ""
    text_y = cy + 4 - (6 if sub else 0)
    text = (
        f'<text x="{fmt(cx)}" y="{fmt(text_y)}" font-size="{fmt(FONT)}" text-anchor="middle" '
        f'textLength="{fmt(lw)}" lengthAdjust="spacingAndGlyphs" fill="{text_fill}"{weight}>'
        f"{escape(label)}</text>"
    )
    if sub:
        sub = shorten(sub, SMALL, r.w - 2 * PAD_X)
        sw = text_width(sub, SMALL)
        text += (
            f'<text class="hf-sub" x="{fmt(cx)}" y="{fmt(cy + 11)}" font-size="{fmt(SMALL)}" '
            f'text-anchor="middle" textLength="{fmt(sw)}" lengthAdjust="spacingAndGlyphs" '
            f'fill="{text_fill}">{escape(sub)}</text>'
        )
    return (
        f'<g class="hf-node" data-shape="{shape}" {" ".join(attrs)}>'
        f"<title>{escape(tooltip)}</title>{body}{text}</g>"
    )


def _cluster_svg(c: VCluster, r: Rect, marks: RunMarks | None) -> str:
    dash = ' stroke-dasharray="6 4"' if c.kind == "variants" or not c.active else ""
    fill = "#f8fafc" if c.kind == "pipeline" else "#fafaff"
    label = c.label
    if marks is not None and c.kind == "pipeline" and c.key in marks.timings:
        label += f" · {_seconds(marks.timings[c.key])}"
    label = shorten(label, CLUSTER_FONT, r.w - 2 * CLUSTER_PAD)
    opacity = "" if c.active else ' opacity="0.6"'
    return (
        f'<g class="hf-cluster" data-id="{escape(c.id)}" data-kind="{c.kind}" '
        f'data-active="{str(c.active).lower()}"{opacity}><title>{escape(c.label)}</title>'
        f'<rect x="{fmt(r.x)}" y="{fmt(r.y)}" width="{fmt(r.w)}" height="{fmt(r.h)}" rx="8" '
        f'fill="{fill}" stroke="#94a3b8" stroke-width="1"{dash}/>'
        f'<text x="{fmt(r.x + CLUSTER_PAD)}" y="{fmt(r.y + CLUSTER_PAD + 4)}" '
        f'font-size="{fmt(CLUSTER_FONT)}" fill="#475569">{escape(label)}</text></g>'
    )


def path_data(points: list[tuple[float, float]]) -> str:
    """SVG path data through ``points``: straight runs, S-curves where ``y`` changes."""
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M{fmt(x0)},{fmt(y0)}"]
    for x1, y1 in rest:
        if abs(y1 - y0) < 0.01:
            parts.append(f"L{fmt(x1)},{fmt(y1)}")
        else:
            mx = (x0 + x1) / 2
            parts.append(f"C{fmt(mx)},{fmt(y0)} {fmt(mx)},{fmt(y1)} {fmt(x1)},{fmt(y1)}")
        x0, y0 = x1, y1
    return " ".join(parts)


def _legend(y: float, marks: RunMarks) -> tuple[str, float]:
    top = max(marks.timings.values(), default=0.0)
    stops = "".join(
        f'<stop offset="{i / 10:.1f}" stop-color="{_heat(i / 10)}"/>' for i in range(11)
    )
    x = MARGIN
    return (
        f'<g class="hf-legend" font-size="{fmt(SMALL)}" fill="#475569">'
        f'<defs><linearGradient id="hf-heat-@UID@">{stops}</linearGradient></defs>'
        f'<text x="{fmt(x)}" y="{fmt(y + 10)}">wall time</text>'
        f'<rect x="{fmt(x + 56)}" y="{fmt(y + 1)}" width="120" height="12" '
        f'fill="url(#hf-heat-@UID@)"/>'
        f'<text x="{fmt(x + 182)}" y="{fmt(y + 10)}">0 – {_seconds(top)} (sqrt scale)</text>'
        f'<rect x="{fmt(x + 300)}" y="{fmt(y + 1)}" width="16" height="12" rx="3" fill="#fff" '
        f'stroke="#15803d" stroke-width="3"/><text x="{fmt(x + 322)}" y="{fmt(y + 10)}">'
        f"cache hit</text>"
        f'<rect x="{fmt(x + 384)}" y="{fmt(y + 1)}" width="16" height="12" rx="3" '
        f'fill="#fee2e2" stroke="#dc2626" stroke-width="3"/>'
        f'<text x="{fmt(x + 406)}" y="{fmt(y + 10)}">failed</text></g>',
        20.0,
    )


def view_figure(
    view: GraphView, *, marks: RunMarks | None = None, title: str | None = None
) -> Figure:
    """Draw a ``GraphView`` (optionally annotated by a run) as an SVG ``Figure``."""
    lay: DiagramLayout = layout_view(view, lambda n: _size(n, marks))
    title = title if title is not None else view.name
    arrow = "hf-arrow-@UID@"  # made unique below, from the picture's own content
    ox, oy = MARGIN, MARGIN + HEADER
    parts: list[str] = []
    depth_of: dict[str, int] = {}
    parent = {c.id: c.parent for c in view.clusters}
    for c in view.clusters:
        d, p = 0, c.parent
        while p is not None:
            d, p = d + 1, parent[p]
        depth_of[c.id] = d
    for c in sorted(view.clusters, key=lambda c: depth_of[c.id]):
        r = lay.clusters[c.id]
        parts.append(_cluster_svg(c, Rect(r.x + ox, r.y + oy, r.w, r.h), marks))
    drawn = sorted(zip(view.edges, lay.edges, strict=True), key=lambda ep: ep[0].active)
    for e, pts in drawn:  # inactive first: a shared stretch shows solid
        moved = [(x + ox, y + oy) for x, y in pts]
        dash = "" if e.active else ' stroke-dasharray="5 4" opacity="0.5"'
        parts.append(
            f'<path class="hf-edge" data-src="{escape(e.src)}" data-dst="{escape(e.dst)}" '
            f'd="{path_data(moved)}" fill="none" stroke="#64748b" stroke-width="1.3"{dash} '
            f'marker-end="url(#{arrow})"><title>{escape(e.label)}</title></path>'
        )
    for n in view.nodes:
        r = lay.nodes[n.id]
        parts.append(_node_svg(n, Rect(r.x + ox, r.y + oy, r.w, r.h), marks))
    width = lay.width + 2 * MARGIN
    height = lay.height + 2 * MARGIN + HEADER
    if marks is not None:
        legend, lh = _legend(height - MARGIN / 2, marks)
        parts.append(legend)
        height += lh
        width = max(width, 460.0)
    header = (
        f'<text class="hf-title" x="{fmt(MARGIN)}" y="{fmt(MARGIN + 12)}" font-size="14" '
        f'font-weight="bold" fill="#0f172a">{escape(title)}</text>'
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{fmt(width)}" height="{fmt(height)}" '
        f'viewBox="0 0 {fmt(width)} {fmt(height)}" font-family="{FONT_FAMILY}" '
        f'class="hf-dag">'
        f"<title>{escape(title)}</title>"
        f'<defs><marker id="{arrow}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker>'
        f"</defs>"
        f'<rect width="100%" height="100%" fill="#ffffff"/>{header}{"".join(parts)}</svg>'
    )
    svg = svg.replace("@UID@", hashlib.sha1(svg.encode()).hexdigest()[:10])
    return Figure(svg, title=title, width=width, height=height)


def pipeline_figure(
    pipeline: Pipeline, *, depth: int | None = None, config: Mapping[str, Any] | None = None
) -> Figure:
    """The picture of a pipeline: inputs, nodes, outputs, variants and nested clusters.

    Args:
        pipeline: the pipeline to draw.
        depth: nested pipelines deeper than this are drawn as single boxes
            (``None``: expand all, ``0``: collapse every nested pipeline).
        config: selects the active variants (the others are drawn dashed) and the
            parameter values shown in each node's tooltip.

    Example:
        >>> import hyperflow as hf
        >>> def doubled(x: int) -> int:
        ...     return 2 * x
        >>> fig = hf.viz.pipeline_figure(hf.Pipeline([doubled], name="tiny"))
        >>> fig.svg.startswith("<svg") and 'data-key="doubled"' in fig.svg
        True
    """
    return view_figure(graph_view(pipeline, depth=depth, config=config))


def run_figure(
    result: RunResult, *, pipeline: Pipeline | None = None, depth: int | None = None
) -> Figure:
    """The picture of one run: nodes coloured by wall time, cache hits and failure marked.

    A failed run raises ``hf.NodeError``; its partial result is ``error.result``, so
    ``except hf.NodeError as e: e.result.visualize()`` shows where it failed.

    Args:
        result: what ``Pipeline.run`` returned (or ``NodeError.result``).
        pipeline: the pipeline that ran (default: the one the result remembers).
        depth: nested pipelines deeper than this are drawn as single boxes.

    Example:
        >>> import hyperflow as hf
        >>> def doubled(x: int) -> int:
        ...     return 2 * x
        >>> r = hf.Pipeline([doubled], name="tiny").run(inputs={"x": 1}, track=False)
        >>> "data-seconds" in hf.viz.run_figure(r).svg
        True
    """
    pipeline = pipeline if pipeline is not None else getattr(result, "source", None)
    if pipeline is None:
        raise VizError(
            f"run {result.run_id!r} does not carry its pipeline; pass it: "
            "hf.viz.run_figure(result, pipeline=my_pipeline)"
        )
    view = graph_view(pipeline, depth=depth, config=result.config)
    marks = RunMarks(result.timings, result.cache_hits, result.failed_node)
    status = f"failed at {result.failed_node}" if result.failed_node else "run"
    title = f"{pipeline.name} · {status} {result.run_id[:8]}"
    return view_figure(view, marks=marks, title=title)

"""Layered (Sugiyama) layout of one flat graph, left to right, in pure Python.

Three classic phases, all iterative:

1. layer assignment and dummy points for long edges (``_proper``); two
   layerings are tried on small graphs, the one with fewer crossings is kept;
2. crossing reduction (``_ordering``);
3. coordinate assignment: each layer is placed by weighted isotonic regression
   (exact least squares under the separation constraints), sweeping down, up,
   then both ways, so that edges run as straight as the order allows.

Boxes may carry edge *ports* (``src_dy``/``dst_dy`` offsets from the box
centre) and may be pinned to the first or last layer, which is how a nested
cluster's border ports are laid out (see ``_compound``); boxes of one group
share a layer and get a labelled frame.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from hyperflow.viz._ordering import count_inversions, reduce_crossings
from hyperflow.viz._proper import Box, Link, Point, ProperGraph

__all__ = ["Box", "Layered", "Link", "count_inversions", "layered_layout"]


@dataclass(slots=True)
class Layered:
    """Result: box centres, one route per link, the extent, layers and crossings."""

    centers: dict[str, Point]
    routes: list[list[Point]]
    width: float
    height: float
    layers: list[list[str]] = field(default_factory=list)
    crossings: int = 0
    groups: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)


def _isotonic(desired: list[float], weights: list[float], seps: list[float]) -> list[float]:
    """Least squares ``y`` near ``desired`` with ``y[i] - y[i-1] >= seps[i]`` (PAV)."""
    n = len(desired)
    offset = [0.0] * n
    for i in range(1, n):
        offset[i] = offset[i - 1] + seps[i]
    blocks: list[list[float]] = []  # [sum w*z, sum w, count]
    for i in range(n):
        w = weights[i]
        blocks.append([w * (desired[i] - offset[i]), w, 1.0])
        while len(blocks) > 1 and (blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]):
            top = blocks.pop()
            blocks[-1][0] += top[0]
            blocks[-1][1] += top[1]
            blocks[-1][2] += top[2]
    out: list[float] = []
    i = 0
    for swz, sw, cnt in blocks:
        z = swz / sw
        for _ in range(int(cnt)):
            out.append(z + offset[i])
            i += 1
    return out


def _assign_y(
    g: ProperGraph, node_gap: float, edge_gap: float, rounds: int, frame: tuple[float, float]
) -> list[float]:
    """y of every item: packed layers, then sweeps pulling each item towards its neighbours."""
    y, seps_of = _packed_y(g, node_gap, edge_gap, frame)
    n = len(g.layers)
    for _ in range(rounds):
        for lay in range(1, n):
            _place_layer(g, y, seps_of[lay], lay, True, False)
        for lay in range(n - 2, -1, -1):
            _place_layer(g, y, seps_of[lay], lay, False, True)
    for _ in range(rounds):
        for lay in range(n):
            _place_layer(g, y, seps_of[lay], lay, True, True)
    return y


def _packed_y(
    g: ProperGraph, node_gap: float, edge_gap: float, frame: tuple[float, float]
) -> tuple[list[float], list[list[float]]]:
    """Each layer packed and centred on 0, and the minimum separations within each layer."""
    real = g.real
    group = g.group
    h = g.height
    y = [0.0] * len(h)
    seps_of: list[list[float]] = []
    for items in g.layers:
        seps = [0.0]
        for a, b in itertools.pairwise(items):
            both = (a < real) + (b < real)
            gap = node_gap if both == 2 else edge_gap * 1.5 if both == 1 else edge_gap
            if group[a] != group[b]:  # room for a group's frame: padding, label on top
                gap += frame[0] if group[a] is not None else 0.0
                gap += sum(frame) if group[b] is not None else 0.0
            seps.append((h[a] + h[b]) / 2 + gap)
        seps_of.append(seps)
        total = 0.0
        for i, item in enumerate(items):
            total += seps[i]
            y[item] = total
        for item in items:
            y[item] -= total / 2
    return y, seps_of


def _place_layer(
    g: ProperGraph, y: list[float], seps: list[float], lay: int, use_up: bool, use_down: bool
) -> None:
    """Move layer ``lay`` as near as its separations allow to the weighted mean of its
    neighbours above (``use_up``) and/or below (``use_down``); long edges weigh more."""
    real = g.real

    def weight(a: int, b: int) -> float:
        dummies = (a >= real) + (b >= real)
        return 8.0 if dummies == 2 else 2.0 if dummies == 1 else 1.0

    items = g.layers[lay]
    desired: list[float] = []
    weights: list[float] = []
    for item in items:
        sw = 0.0
        swy = 0.0
        if use_up:
            for o, o_dy, my_dy in g.up[item]:
                w = weight(o, item)
                sw += w
                swy += w * (y[o] + o_dy - my_dy)
        if use_down:
            for o, o_dy, my_dy in g.down[item]:
                w = weight(o, item)
                sw += w
                swy += w * (y[o] + o_dy - my_dy)
        if sw == 0.0:
            desired.append(y[item])
            weights.append(0.05)
        else:
            desired.append(swy / sw)
            weights.append(sw)
    for item, v in zip(items, _isotonic(desired, weights, seps), strict=True):
        y[item] = v


def layered_layout(
    boxes: list[Box],
    links: list[Link],
    *,
    layer_gap: float = 40.0,
    node_gap: float = 16.0,
    edge_gap: float = 8.0,
    effort: float = 1.0,
    frame: tuple[float, float] = (12.0, 18.0),
    group_width: dict[str, float] | None = None,
) -> Layered:
    """Lay out a DAG left to right; coordinates start at (0, 0).

    Example:
        >>> boxes = [Box("a", 40, 20), Box("b", 40, 20), Box("c", 40, 20)]
        >>> out = layered_layout(boxes, [Link("a", "b"), Link("a", "c")])
        >>> out.layers
        [['a'], ['b', 'c']]
        >>> out.centers["a"][0] < out.centers["b"][0], out.crossings
        (True, 0)
    """
    if not boxes:
        return Layered({}, [], 0.0, 0.0)
    g, crossings = _ordered_graph(boxes, links, effort)
    y = _assign_y(g, node_gap, edge_gap, 4 if len(g.width) < 3000 else 2, frame)
    spans: dict[str, list[int]] = {}
    for i, gr in enumerate(g.group):
        if gr is not None:
            spans.setdefault(gr, []).append(i)
    widths, gw = _layer_widths(g, spans, frame[0], group_width or {})
    xs = _layer_xs(g, boxes, y, widths, layer_gap)
    rects = _group_rects(g, spans, gw, xs, y, frame)
    top = min([y[i] - g.height[i] / 2 for i in range(len(y))] + [r[1] for r in rects.values()])
    bottom = max([y[i] + g.height[i] / 2 for i in range(len(y))] + [r[3] for r in rects.values()])
    left = [xs[lay] - widths[lay] / 2 for lay in range(len(xs))]
    right = [xs[lay] + widths[lay] / 2 for lay in range(len(xs))]
    centers = {b.id: (xs[g.layer[i]], y[i] - top) for i, b in enumerate(boxes)}
    routes = [
        _route(g, chain, lk, xs, [v - top for v in y], left, right)
        for chain, lk in zip(g.chains, links, strict=True)
    ]
    names = [[boxes[i].id for i in items if i < g.real] for items in g.layers]
    groups = {gr: (r[0], r[1] - top, r[2], r[3] - top) for gr, r in rects.items()}
    return Layered(centers, routes, right[-1], bottom - top, names, crossings, groups)


def _ordered_graph(boxes: list[Box], links: list[Link], effort: float) -> tuple[ProperGraph, int]:
    """Layers and orders with the fewest crossings: balanced layers, or plain longest-path."""
    g = ProperGraph(boxes, links, balance=True)
    crossings = reduce_crossings(g, effort)
    if crossings and len(g.width) < 400:  # also try plain longest-path layers
        other = ProperGraph(boxes, links, balance=False)
        c = reduce_crossings(other, effort)
        if c < crossings:
            g, crossings = other, c
    return g, crossings


def _layer_widths(
    g: ProperGraph, spans: dict[str, list[int]], pad: float, group_width: dict[str, float]
) -> tuple[list[float], dict[str, float]]:
    """Each layer's width (room for a group's frame included) and each group's inner width."""
    widths = [max((g.width[i] for i in items), default=0.0) for items in g.layers]
    gw: dict[str, float] = {}
    for gr, items in spans.items():
        gw[gr] = max([g.width[i] for i in items] + [group_width.get(gr, 0.0)])
        lay = g.layer[items[0]]
        widths[lay] = max(widths[lay], gw[gr] + 2 * pad)
    return widths, gw


def _layer_xs(
    g: ProperGraph, boxes: list[Box], y: list[float], widths: list[float], layer_gap: float
) -> list[float]:
    """x of each layer's centre: wider gaps where edges must climb far, narrower at ports."""
    port_only = [
        bool(items) and all(i < g.real and boxes[i].pin is not None for i in items)
        for items in g.layers
    ]
    xs: list[float] = []
    x = 0.0
    for lay, w in enumerate(widths):
        if lay:
            climb = max(
                (abs(y[b] - y[a]) for a in g.layers[lay - 1] for b, _, _ in g.down[a]),
                default=0.0,
            )
            gap = layer_gap * (0.6 if port_only[lay] or port_only[lay - 1] else 1.0)
            gap = max(gap, min(layer_gap * 3, 0.2 * climb))
            x += widths[lay - 1] / 2 + gap + w / 2
        else:
            x = w / 2
        xs.append(x)
    return xs


def _group_rects(
    g: ProperGraph,
    spans: dict[str, list[int]],
    gw: dict[str, float],
    xs: list[float],
    y: list[float],
    frame: tuple[float, float],
) -> dict[str, tuple[float, float, float, float]]:
    """Each group's frame (x0, y0, x1, y1): padding around its members, its label on top."""
    pad, label = frame
    rects: dict[str, tuple[float, float, float, float]] = {}
    for gr, items in spans.items():
        xc = xs[g.layer[items[0]]]
        rects[gr] = (
            xc - gw[gr] / 2 - pad,
            min(y[i] - g.height[i] / 2 for i in items) - pad - label,
            xc + gw[gr] / 2 + pad,
            max(y[i] + g.height[i] / 2 for i in items) + pad,
        )
    return rects


def _route(
    g: ProperGraph,
    chain: list[int],
    lk: Link,
    xs: list[float],
    y: list[float],
    left: list[float],
    right: list[float],
) -> list[Point]:
    """One link's route: out of its source's port, through its dummy points, into its target."""
    layer = g.layer
    u, v = chain[0], chain[-1]
    pts: list[Point] = [(xs[layer[u]] + g.width[u] / 2, y[u] + lk.src_dy)]
    pts.append((right[layer[u]], pts[0][1]))
    for item in chain[1:-1]:
        pts.append((left[layer[item]], y[item]))
        pts.append((right[layer[item]], y[item]))
    yv = y[v] + lk.dst_dy
    pts.append((left[layer[v]], yv))
    pts.append((xs[layer[v]] - g.width[v] / 2, yv))
    dedup = [pts[0]]
    for p in pts[1:]:
        if p != dedup[-1]:
            dedup.append(p)
    return dedup

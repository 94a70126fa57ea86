"""Layout of a whole ``GraphView``: clusters laid out inside out, as blocks with ports.

Each cluster (a nested pipeline or a group of variants) is laid out on its own
with ``layered_layout``; an edge that enters or leaves it goes through a *port*
on the cluster's left (inputs) or right (outputs) border, one port per outside
producer or inside producer, shared by every edge that needs it (the variants
of one output share a single output port: the group produces that output). The finished
cluster is then one box of its parent, whose edges attach at those ports. So
no two boxes can overlap, and every edge still runs left to right.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hyperflow.core import GraphView, VNode
from hyperflow.viz._layered import Box, Link, layered_layout
from hyperflow.viz._proper import Point
from hyperflow.viz._text import text_width

__all__ = ["CLUSTER_LABEL", "CLUSTER_PAD", "DiagramLayout", "Rect", "layout_view"]

CLUSTER_PAD = 12.0
CLUSTER_LABEL = 18.0
CLUSTER_FONT = 11.0


@dataclass(slots=True)
class Rect:
    """An axis-aligned box: top-left corner, width and height."""

    x: float
    y: float
    w: float
    h: float


@dataclass(slots=True)
class DiagramLayout:
    """Absolute geometry of a view: node and cluster boxes, one route per view edge."""

    nodes: dict[str, Rect]
    clusters: dict[str, Rect]
    edges: list[list[Point]]
    width: float
    height: float
    crossings: int = 0
    layers: dict[str | None, list[list[str]]] = field(default_factory=dict)


@dataclass(slots=True)
class _Level:
    boxes: list[Box] = field(default_factory=list)
    links: dict[tuple[str, str], int] = field(default_factory=dict)
    # per link: (src term, src block port or None, dst term, dst block port or None)
    ends: list[tuple[str, str | None, str, str | None]] = field(default_factory=list)
    in_ports: set[str] = field(default_factory=set)
    out_ports: set[str] = field(default_factory=set)


def _ancestors(start: str | None, parent: dict[str, str | None]) -> list[str | None]:
    chain: list[str | None] = [start]
    cur = start
    while cur is not None:
        cur = parent[cur]
        chain.append(cur)
    return chain


def layout_view(
    view: GraphView,
    size_of: Callable[[VNode], tuple[float, float]],
    *,
    effort: float = 1.0,
    layer_gap: float = 40.0,
) -> DiagramLayout:
    """Place every node, cluster and edge of ``view`` (left to right, origin at 0, 0).

    Groups of alternatives are tried both ways, laid out with their parent's nodes
    and as a block of their own; the drawing with fewer crossings is kept.
    """
    best = _layout(view, size_of, effort, layer_gap, flatten=True)
    if best.crossings and any(c.kind == "variants" for c in view.clusters):
        other = _layout(view, size_of, effort, layer_gap, flatten=False)
        if other.crossings < best.crossings:
            best = other
    return best


def _layout(
    view: GraphView,
    size_of: Callable[[VNode], tuple[float, float]],
    effort: float,
    layer_gap: float,
    flatten: bool,
) -> DiagramLayout:
    parent = {c.id: c.parent for c in view.clusters}
    labels = {c.id: c.label for c in view.clusters}
    bundled = {c.id for c in view.clusters if c.kind == "variants"}
    # a group of plain alternatives is laid out with its parent's nodes (kept together,
    # framed), so its edges take the same global order as the rest
    flat = bundled - {c.parent for c in view.clusters} if flatten else set()
    levels: dict[str | None, _Level] = {None: _Level()}
    for c in view.clusters:
        if c.id not in flat:
            levels[c.id] = _Level()
    for c in view.clusters:
        if c.id not in flat:
            levels[c.parent].boxes.append(Box(c.id, 0.0, 0.0))  # sized once laid out
    node_cluster: dict[str, str | None] = {}
    for n in view.nodes:
        w, h = size_of(n)
        home = n.cluster
        group = None
        if home in flat:
            group, home = home, parent[home]
        node_cluster[n.id] = home
        levels[home].boxes.append(Box(n.id, w, h, group=group))
    joins: set[str] = set()
    group_of = {n.id: n.cluster for n in view.nodes if n.cluster in flat}

    def add_link(level: str | None, s: str, sp: str | None, d: str, dp: str | None) -> int:
        lv = levels[level]
        key = (f"{s}|{sp}", f"{d}|{dp}")
        if key not in lv.links:
            lv.links[key] = len(lv.ends)
            lv.ends.append((s, sp, d, dp))
        return lv.links[key]

    edge_segments: list[list[tuple[str | None, int]]] = []
    for e in view.edges:
        up = _ancestors(node_cluster[e.src], parent)
        down = _ancestors(node_cluster[e.dst], parent)
        common = next(a for a in up if a in down)
        segs: list[tuple[str | None, int]] = []
        # the current end of the edge, as seen from the level it lives in
        term: str = e.src
        port: str | None = None
        if e.src in group_of:  # alternatives meet at one point: the group's output
            join = f"{group_of[e.src]}|join"
            if join not in joins:
                joins.add(join)
                levels[node_cluster[e.src]].boxes.append(Box(join, 0.0, 0.0))
            segs.append(
                (node_cluster[e.src], add_link(node_cluster[e.src], e.src, None, join, None))
            )
            term = join
        for cl in up[: up.index(common)]:
            assert cl is not None
            # alternatives of one output leave their group through one shared port
            out = f"{cl}|out" if cl in bundled else f"{cl}|out|{e.src}"
            levels[cl].out_ports.add(out)
            segs.append((cl, add_link(cl, term, port, out, None)))
            term, port = cl, out
        # walk down from the common level to the consumer
        level = common
        for cl in reversed(down[: down.index(common)]):
            assert cl is not None
            pin = f"{cl}|in|{e.src}"
            levels[cl].in_ports.add(pin)
            segs.append((level, add_link(level, term, port, cl, pin)))
            term, port, level = pin, None, cl
        segs.append((level, add_link(level, term, port, e.dst, None)))
        edge_segments.append(segs)

    depth: dict[str | None, int] = {None: 0}
    for c in view.clusters:
        if c.id not in flat:
            depth[c.id] = len(_ancestors(c.id, parent)) - 1
    order = sorted(levels, key=lambda c: -depth[c])  # inner clusters first, root last
    ranks: dict[str, float] = {}
    passes = 2 if view.clusters else 1  # the second pass orders ports as their parent saw them
    for _ in range(passes):
        local: dict[str | None, dict[str, Point]] = {}
        routes: dict[str | None, list[list[Point]]] = {}
        block: dict[str, tuple[float, float, float, float]] = {}  # w, h, origin x, origin y
        port_dy: dict[str, float] = {}
        crossings = 0
        layers: dict[str | None, list[list[str]]] = {}
        frames: dict[str | None, dict[str, tuple[float, float, float, float]]] = {}
        for cid in order:
            lv = levels[cid]
            boxes = list(lv.boxes)
            for b in boxes:
                if b.id in block:
                    b.width, b.height = block[b.id][0], block[b.id][1]
            boxes += [Box(p, 0.0, 0.0, "first", ranks.get(p)) for p in sorted(lv.in_ports)]
            boxes += [Box(p, 0.0, 0.0, "last", ranks.get(p)) for p in sorted(lv.out_ports)]
            links = [
                Link(s, d, port_dy.get(sp, 0.0) if sp else 0.0, port_dy.get(dp, 0.0) if dp else 0.0)
                for s, sp, d, dp in lv.ends
            ]
            res = layered_layout(
                boxes,
                links,
                effort=effort,
                layer_gap=layer_gap,
                frame=(CLUSTER_PAD, CLUSTER_LABEL),
                group_width={
                    b.group: text_width(labels[b.group], CLUSTER_FONT) + 1 for b in boxes if b.group
                },
            )
            frames[cid] = res.groups
            crossings += res.crossings
            layers[cid] = res.layers
            local[cid] = res.centers
            routes[cid] = res.routes
            if cid is None:
                continue
            left_pad = 0.0 if lv.in_ports else CLUSTER_PAD
            right_pad = 0.0 if lv.out_ports else CLUSTER_PAD
            content = res.width + left_pad + right_pad
            label_w = text_width(labels[cid], CLUSTER_FONT) + 2 * CLUSTER_PAD
            bw = max(content, label_w, 2 * CLUSTER_PAD)
            bh = res.height + 2 * CLUSTER_PAD + CLUSTER_LABEL
            ox = left_pad + (bw - content) / 2
            oy = CLUSTER_PAD + CLUSTER_LABEL
            block[cid] = (bw, bh, ox, oy)
            for p in lv.in_ports | lv.out_ports:
                port_dy[p] = oy + res.centers[p][1] - bh / 2
        # where each port's outside end lies, as seen from its parent level
        seen: dict[str, list[float]] = {}
        for cid in order:
            for (_s, sp, _d, dp), route in zip(levels[cid].ends, routes[cid], strict=True):
                if dp is not None:
                    seen.setdefault(dp, []).append(route[0][1])
                if sp is not None:
                    seen.setdefault(sp, []).append(route[-1][1])
        ranks = {p: sum(ys) / len(ys) for p, ys in seen.items()}

    # absolute positions, root first
    origin: dict[str | None, Point] = {None: (0.0, 0.0)}
    clusters: dict[str, Rect] = {}
    for cid in reversed(order):
        ox0, oy0 = origin[cid]
        for gid, (x0, y0, x1, y1) in frames[cid].items():
            clusters[gid] = Rect(ox0 + x0, oy0 + y0, x1 - x0, y1 - y0)
        for b in levels[cid].boxes:
            if b.id in block:
                bw, bh, ix, iy = block[b.id]
                cx, cy = local[cid][b.id]
                rect = Rect(ox0 + cx - bw / 2, oy0 + cy - bh / 2, bw, bh)
                clusters[b.id] = rect
                origin[b.id] = (rect.x + ix, rect.y + iy)
    nodes: dict[str, Rect] = {}
    for n in view.nodes:
        ox0, oy0 = origin[node_cluster[n.id]]
        cx, cy = local[node_cluster[n.id]][n.id]
        w, h = size_of(n)
        nodes[n.id] = Rect(ox0 + cx - w / 2, oy0 + cy - h / 2, w, h)
    edges: list[list[Point]] = []
    for segs in edge_segments:
        pts: list[Point] = []
        for level, li in segs:
            ox0, oy0 = origin[level]
            seg = [(ox0 + x, oy0 + y) for x, y in routes[level][li]]
            s, _, d, _ = levels[level].ends[li]
            if level is not None and s in levels[level].in_ports:
                seg.insert(0, (clusters[level].x, seg[0][1]))
            if level is not None and d in levels[level].out_ports:
                seg.append((clusters[level].x + clusters[level].w, seg[-1][1]))
            for pt in seg:
                if not pts or pt != pts[-1]:
                    pts.append(pt)
        edges.append(pts)
    width = max([r.x + r.w for r in nodes.values()] + [r.x + r.w for r in clusters.values()] + [0])
    height = max([r.y + r.h for r in nodes.values()] + [r.y + r.h for r in clusters.values()] + [0])
    return DiagramLayout(nodes, clusters, edges, width, height, crossings, layers)

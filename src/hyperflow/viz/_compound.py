"""Layout of a whole ``GraphView``: clusters laid out inside out, as blocks with ports.

Each cluster (a nested pipeline or a group of variants) is laid out on its own
with ``layered_layout``; an edge that enters or leaves it goes through a *port*
on the cluster's left (inputs) or right (outputs) border, one port per outside
producer or inside producer, shared by every edge that needs it (the variants
of one output share a single output port: the group produces that output). The finished
cluster is then one box of its parent, whose edges attach at those ports. So
no two boxes can overlap, and every edge still runs left to right.

The phases of ``_layout``: plan the levels (``_plan_levels``), split each edge
into one link per level (``_split_edge``), lay every level out, inner first
(``_solve_levels``; twice when there are clusters, the second time with ports
ordered as their parent saw them, ``_port_ranks``), then place clusters,
nodes and edge routes absolutely (``_place_clusters``, ``_edge_points``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hyperflow.core import GraphView, VNode
from hyperflow.viz._layered import Box, Layered, Link, layered_layout
from hyperflow.viz._proper import Point
from hyperflow.viz._text import text_width

__all__ = ["CLUSTER_FONT", "CLUSTER_LABEL", "CLUSTER_PAD", "DiagramLayout", "Rect", "layout_view"]

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

    def link(self, s: str, sp: str | None, d: str, dp: str | None) -> int:
        """The index of the link ``s`` (port ``sp``) -> ``d`` (port ``dp``), added once."""
        key = (f"{s}|{sp}", f"{d}|{dp}")
        if key not in self.links:
            self.links[key] = len(self.ends)
            self.ends.append((s, sp, d, dp))
        return self.links[key]


# one stretch of a view edge: the level it crosses and the index of its link there
_Segment = tuple[str | None, int]


@dataclass(slots=True)
class _Plan:
    """What each level (the root, or a cluster laid out as a block) holds, before layout.

    ``order`` lists the levels inner clusters first, the root (``None``) last;
    ``segments`` splits every view edge into one link per level it crosses.
    """

    parent: dict[str, str | None]
    labels: dict[str, str]
    bundled: set[str]
    levels: dict[str | None, _Level]
    node_cluster: dict[str, str | None]
    group_of: dict[str, str | None]
    sizes: dict[str, tuple[float, float]]
    order: list[str | None] = field(default_factory=list)
    joins: set[str] = field(default_factory=set)  # the join points of flattened groups
    segments: list[list[_Segment]] = field(default_factory=list)


@dataclass(slots=True)
class _Solved:
    """One layout pass over every level, in each level's own coordinates."""

    local: dict[str | None, dict[str, Point]] = field(default_factory=dict)
    routes: dict[str | None, list[list[Point]]] = field(default_factory=dict)
    # a laid-out cluster's box: width, height, origin of its content inside it
    block: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    port_dy: dict[str, float] = field(default_factory=dict)
    crossings: int = 0
    layers: dict[str | None, list[list[str]]] = field(default_factory=dict)
    frames: dict[str | None, dict[str, tuple[float, float, float, float]]] = field(
        default_factory=dict
    )


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
    """The phases: plan the levels, split the edges, lay the levels out, place absolutely."""
    plan = _plan_levels(view, size_of, flatten)
    plan.segments = [_split_edge(plan, e.src, e.dst) for e in view.edges]
    ranks: dict[str, float] = {}
    passes = 2 if view.clusters else 1  # the second pass orders ports as their parent saw them
    for _ in range(passes):
        solved = _solve_levels(plan, ranks, effort, layer_gap)
        ranks = _port_ranks(plan, solved)
    origin, clusters = _place_clusters(plan, solved)
    nodes: dict[str, Rect] = {}
    for n in view.nodes:
        ox0, oy0 = origin[plan.node_cluster[n.id]]
        cx, cy = solved.local[plan.node_cluster[n.id]][n.id]
        w, h = plan.sizes[n.id]
        nodes[n.id] = Rect(ox0 + cx - w / 2, oy0 + cy - h / 2, w, h)
    edges = [_edge_points(plan, solved, origin, clusters, segs) for segs in plan.segments]
    rects = [*nodes.values(), *clusters.values()]
    width = max([r.x + r.w for r in rects] + [0])
    height = max([r.y + r.h for r in rects] + [0])
    return DiagramLayout(nodes, clusters, edges, width, height, solved.crossings, solved.layers)


def _plan_levels(
    view: GraphView, size_of: Callable[[VNode], tuple[float, float]], flatten: bool
) -> _Plan:
    """Phase 1: one level per laid-out cluster; each holds its child clusters and nodes."""
    parent = {c.id: c.parent for c in view.clusters}
    bundled = {c.id for c in view.clusters if c.kind == "variants"}
    # a group of plain alternatives is laid out with its parent's nodes (kept together,
    # framed), so its edges take the same global order as the rest
    flat = bundled - {c.parent for c in view.clusters} if flatten else set()
    blocks = [c for c in view.clusters if c.id not in flat]
    levels: dict[str | None, _Level] = {None: _Level()}
    levels.update((c.id, _Level()) for c in blocks)
    for c in blocks:
        levels[c.parent].boxes.append(Box(c.id, 0.0, 0.0))  # sized once laid out
    plan = _Plan(
        parent=parent,
        labels={c.id: c.label for c in view.clusters},
        bundled=bundled,
        levels=levels,
        node_cluster={},
        group_of={n.id: n.cluster for n in view.nodes if n.cluster in flat},
        sizes={},
    )
    for n in view.nodes:
        plan.sizes[n.id] = w, h = size_of(n)
        home = n.cluster
        group = None
        if home in flat:
            group, home = home, parent[home]
        plan.node_cluster[n.id] = home
        levels[home].boxes.append(Box(n.id, w, h, group=group))
    depth: dict[str | None, int] = {None: 0}
    depth.update((c.id, len(_ancestors(c.id, parent)) - 1) for c in blocks)
    plan.order = sorted(levels, key=lambda c: -depth[c])  # inner clusters first, root last
    return plan


def _split_edge(plan: _Plan, src: str, dst: str) -> list[_Segment]:
    """Phase 2: the edge ``src -> dst`` as one link per level, joined at cluster ports.

    It climbs from the producer's level out through output ports to the deepest
    level holding both ends, then down through input ports to the consumer.
    """
    levels, parent = plan.levels, plan.parent
    up = _ancestors(plan.node_cluster[src], parent)
    down = _ancestors(plan.node_cluster[dst], parent)
    common = next(a for a in up if a in down)
    segs: list[_Segment] = []
    # the current end of the edge, as seen from the level it lives in
    term: str = src
    port: str | None = None
    group = plan.group_of.get(src)
    if group is not None:  # alternatives meet at one point: the group's output
        home = plan.node_cluster[src]
        join = f"{group}|join"
        if join not in plan.joins:
            plan.joins.add(join)
            levels[home].boxes.append(Box(join, 0.0, 0.0))
        segs.append((home, levels[home].link(src, None, join, None)))
        term = join
    for cl in up[: up.index(common)]:
        assert cl is not None
        # alternatives of one output leave their group through one shared port
        out = f"{cl}|out" if cl in plan.bundled else f"{cl}|out|{src}"
        levels[cl].out_ports.add(out)
        segs.append((cl, levels[cl].link(term, port, out, None)))
        term, port = cl, out
    # walk down from the common level to the consumer
    level = common
    for cl in reversed(down[: down.index(common)]):
        assert cl is not None
        pin = f"{cl}|in|{src}"
        levels[cl].in_ports.add(pin)
        segs.append((level, levels[level].link(term, port, cl, pin)))
        term, port, level = pin, None, cl
    segs.append((level, levels[level].link(term, port, dst, None)))
    return segs


def _solve_levels(
    plan: _Plan, ranks: dict[str, float], effort: float, layer_gap: float
) -> _Solved:
    """Phase 3: lay out every level, inner first, each finished cluster a box of its parent."""
    solved = _Solved()
    for cid in plan.order:
        lv = plan.levels[cid]
        boxes = list(lv.boxes)
        for b in boxes:
            if b.id in solved.block:
                b.width, b.height = solved.block[b.id][0], solved.block[b.id][1]
        boxes += [Box(p, 0.0, 0.0, "first", ranks.get(p)) for p in sorted(lv.in_ports)]
        boxes += [Box(p, 0.0, 0.0, "last", ranks.get(p)) for p in sorted(lv.out_ports)]
        dy = solved.port_dy
        links = [
            Link(s, d, dy.get(sp, 0.0) if sp else 0.0, dy.get(dp, 0.0) if dp else 0.0)
            for s, sp, d, dp in lv.ends
        ]
        res = layered_layout(
            boxes,
            links,
            effort=effort,
            layer_gap=layer_gap,
            frame=(CLUSTER_PAD, CLUSTER_LABEL),
            group_width={
                b.group: text_width(plan.labels[b.group], CLUSTER_FONT) + 1
                for b in boxes
                if b.group
            },
        )
        solved.frames[cid] = res.groups
        solved.crossings += res.crossings
        solved.layers[cid] = res.layers
        solved.local[cid] = res.centers
        solved.routes[cid] = res.routes
        if cid is not None:
            _size_block(plan, solved, cid, res)
    return solved


def _size_block(plan: _Plan, solved: _Solved, cid: str, res: Layered) -> None:
    """A laid-out cluster's box (padding, label, ports on its borders) and port offsets."""
    lv = plan.levels[cid]
    left_pad = 0.0 if lv.in_ports else CLUSTER_PAD
    right_pad = 0.0 if lv.out_ports else CLUSTER_PAD
    content = res.width + left_pad + right_pad
    label_w = text_width(plan.labels[cid], CLUSTER_FONT) + 2 * CLUSTER_PAD
    bw = max(content, label_w, 2 * CLUSTER_PAD)
    bh = res.height + 2 * CLUSTER_PAD + CLUSTER_LABEL
    ox = left_pad + (bw - content) / 2
    oy = CLUSTER_PAD + CLUSTER_LABEL
    solved.block[cid] = (bw, bh, ox, oy)
    for p in lv.in_ports | lv.out_ports:
        solved.port_dy[p] = oy + res.centers[p][1] - bh / 2


def _port_ranks(plan: _Plan, solved: _Solved) -> dict[str, float]:
    """Where each port's outside end lies, as seen from its parent level (mean height)."""
    seen: dict[str, list[float]] = {}
    for cid in plan.order:
        for (_s, sp, _d, dp), route in zip(plan.levels[cid].ends, solved.routes[cid], strict=True):
            if dp is not None:
                seen.setdefault(dp, []).append(route[0][1])
            if sp is not None:
                seen.setdefault(sp, []).append(route[-1][1])
    return {p: sum(ys) / len(ys) for p, ys in seen.items()}


def _place_clusters(
    plan: _Plan, solved: _Solved
) -> tuple[dict[str | None, Point], dict[str, Rect]]:
    """Phase 4: absolute cluster boxes and each level's origin, root first."""
    origin: dict[str | None, Point] = {None: (0.0, 0.0)}
    clusters: dict[str, Rect] = {}
    for cid in reversed(plan.order):
        ox0, oy0 = origin[cid]
        for gid, (x0, y0, x1, y1) in solved.frames[cid].items():
            clusters[gid] = Rect(ox0 + x0, oy0 + y0, x1 - x0, y1 - y0)
        for b in plan.levels[cid].boxes:
            if b.id in solved.block:
                bw, bh, ix, iy = solved.block[b.id]
                cx, cy = solved.local[cid][b.id]
                rect = Rect(ox0 + cx - bw / 2, oy0 + cy - bh / 2, bw, bh)
                clusters[b.id] = rect
                origin[b.id] = (rect.x + ix, rect.y + iy)
    return origin, clusters


def _edge_points(
    plan: _Plan,
    solved: _Solved,
    origin: dict[str | None, Point],
    clusters: dict[str, Rect],
    segs: list[_Segment],
) -> list[Point]:
    """Phase 5: one view edge's absolute route, its per-level stretches joined at borders."""
    pts: list[Point] = []
    for level, li in segs:
        ox0, oy0 = origin[level]
        seg = [(ox0 + x, oy0 + y) for x, y in solved.routes[level][li]]
        lv = plan.levels[level]
        s, _, d, _ = lv.ends[li]
        if level is not None and s in lv.in_ports:
            seg.insert(0, (clusters[level].x, seg[0][1]))
        if level is not None and d in lv.out_ports:
            seg.append((clusters[level].x + clusters[level].w, seg[-1][1]))
        for pt in seg:
            if not pts or pt != pts[-1]:
                pts.append(pt)
    return pts

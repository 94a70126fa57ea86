"""The proper layered graph behind a layout: boxes, links, layers and dummy points.

Layer assignment is longest path from the sources, then edge shortening: a node
with more outputs than inputs moves right up to its first consumer, one with
more inputs moves left (each move lowers the total edge length, as ``dot``'s
network simplex would). Every edge longer than one layer gets a dummy point in
each layer it passes, so that all later phases see unit-length segments only.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Box", "Link", "Point", "ProperGraph", "assign_layers", "count_inversions"]

Point = tuple[float, float]


@dataclass(slots=True)
class Box:
    """An item to place: ``pin`` is ``"first"``/``"last"`` for border ports.

    Pinned boxes with a ``rank`` keep the order of their ranks in their layer.
    Boxes of one ``group`` share a layer and stay adjacent, so that a frame with a
    label can be drawn around them (the variants of one output).
    """

    id: str
    width: float
    height: float
    pin: str | None = None
    rank: float | None = None
    group: str | None = None


@dataclass(slots=True)
class Link:
    """A directed edge; ``src_dy``/``dst_dy`` offset its ends from the box centres."""

    src: str
    dst: str
    src_dy: float = 0.0
    dst_dy: float = 0.0


def count_inversions(values: list[float]) -> int:
    """Pairs ``i < j`` with ``values[i] > values[j]`` (Fenwick tree, O(n log n)).

    Example:
        >>> count_inversions([0, 2, 1, 3, 0.5])
        4
    """
    if len(values) < 2:
        return 0
    ranks = {v: i + 1 for i, v in enumerate(sorted(set(values)))}
    size = len(ranks)
    tree = [0] * (size + 1)
    inv = 0
    for seen, v in enumerate(values):
        r = ranks[v]
        # count seen values <= r
        le = 0
        i = r
        while i > 0:
            le += tree[i]
            i -= i & -i
        inv += seen - le
        i = r
        while i <= size:
            tree[i] += 1
            i += i & -i
    return inv


class ProperGraph:
    """Proper layered graph: items (boxes then dummies) and unit-span segments."""

    def __init__(self, boxes: list[Box], links: list[Link], balance: bool) -> None:
        n = len(boxes)
        index = {b.id: i for i, b in enumerate(boxes)}
        self.width = [b.width for b in boxes]
        self.rank = [b.rank if b.pin is not None else None for b in boxes]
        self.group = [b.group for b in boxes]
        self.height = [b.height for b in boxes]
        self.real = n
        ends = [(index[lk.src], index[lk.dst]) for lk in links]
        layer = assign_layers(boxes, ends, balance)
        self.layer = layer
        nlayers = max(layer) + 1 if layer else 0
        # segments: (upper item, upper port frac/dy, lower item, lower dy)
        self.up: list[list[tuple[int, float, float]]] = [[] for _ in range(n)]
        self.down: list[list[tuple[int, float, float]]] = [[] for _ in range(n)]
        self.chains: list[list[int]] = []
        for (u, v), lk in zip(ends, links, strict=True):
            chain = [u]
            prev = u
            for lay in range(layer[u] + 1, layer[v]):
                d = len(self.width)
                self.width.append(0.0)
                self.rank.append(None)
                self.group.append(None)
                self.height.append(0.0)
                layer.append(lay)
                self.up.append([])
                self.down.append([])
                self._segment(prev, d, lk.src_dy if prev == u else 0.0, 0.0)
                chain.append(d)
                prev = d
            self._segment(prev, v, lk.src_dy if prev == u else 0.0, lk.dst_dy)
            chain.append(v)
            self.chains.append(chain)
        self.layers: list[list[int]] = [[] for _ in range(nlayers)]
        for i, lay in enumerate(layer):
            self.layers[lay].append(i)
        self.pos = [0] * len(layer)

    def _segment(self, a: int, b: int, a_dy: float, b_dy: float) -> None:
        # (other end, other end's dy, this end's dy)
        self.down[a].append((b, b_dy, a_dy))
        self.up[b].append((a, a_dy, b_dy))

    def frac(self, item: int, dy: float) -> float:
        h = self.height[item]
        if not h or not dy:
            return 0.0
        return max(-0.45, min(0.45, dy / h))

    def reindex(self, lay: int) -> None:
        items = self.layers[lay]
        rank = self.rank
        if items and all(rank[i] is not None for i in items):
            items.sort(key=lambda i: rank[i])  # type: ignore[arg-type, return-value]
        for i, item in enumerate(items):
            self.pos[item] = i

    def crossings_between(self, lay: int) -> int:
        pos = self.pos
        keys: list[tuple[float, float]] = []
        for a in self.layers[lay]:
            pa = pos[a]
            for b, b_dy, a_dy in self.down[a]:
                keys.append((pa + self.frac(a, a_dy), pos[b] + self.frac(b, b_dy)))
        keys.sort()
        return count_inversions([k[1] for k in keys])

    def crossings(self) -> int:
        return sum(self.crossings_between(lay) for lay in range(len(self.layers) - 1))


def assign_layers(boxes: list[Box], ends: list[tuple[int, int]], balance: bool) -> list[int]:
    """The layer of every box: longest path, edges shortened, groups and pins aligned."""
    n = len(boxes)
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    for u, v in ends:
        succ[u].append(v)
        pred[v].append(u)
    base = 1 if any(b.pin == "first" for b in boxes) else 0
    layer, order = _longest_path(boxes, succ, base)
    _shorten_edges(boxes, succ, pred, order, layer, base, balance)
    members: dict[str, list[int]] = {}
    for i, b in enumerate(boxes):
        if b.group is not None:
            members.setdefault(b.group, []).append(i)
    for group in members.values():  # alternatives share one layer (they share consumers)
        top = max(layer[i] for i in group)
        for i in group:
            layer[i] = top
    last = [i for i, b in enumerate(boxes) if b.pin == "last"]
    if last:
        top = max((layer[i] for i in range(n) if boxes[i].pin != "last"), default=-1)
        for i in last:
            layer[i] = top + 1
    return layer


def _longest_path(
    boxes: list[Box], succ: list[list[int]], base: int
) -> tuple[list[int], list[int]]:
    """Longest-path layers (boxes pinned first on layer 0) and a topological order."""
    n = len(boxes)
    indeg = [0] * n
    for outs in succ:
        for v in outs:
            indeg[v] += 1
    layer = [0 if b.pin == "first" else base for b in boxes]
    order: list[int] = []
    ready = [i for i in range(n) if indeg[i] == 0]
    ready.reverse()
    deg = list(indeg)
    while ready:
        u = ready.pop()
        order.append(u)
        for v in succ[u]:
            if layer[v] < layer[u] + 1:
                layer[v] = layer[u] + 1
            deg[v] -= 1
            if deg[v] == 0:
                ready.append(v)
    if len(order) != n:
        raise ValueError("layered_layout needs an acyclic graph")
    return layer, order


def _shorten_edges(
    boxes: list[Box],
    succ: list[list[int]],
    pred: list[list[int]],
    order: list[int],
    layer: list[int],
    base: int,
    balance: bool,
) -> None:
    """Move free boxes to shorten edges (each move lowers the total edge length).

    A node with more outputs than inputs moves right, up to its first consumer;
    one with more inputs moves left.
    """
    free = [b.pin is None for b in boxes]
    for u in reversed(order):  # pull sources next to their first consumer
        outs = [layer[v] for v in succ[u] if boxes[v].pin != "last"]
        if free[u] and outs and not pred[u]:
            layer[u] = max(base, min(outs) - 1)
    for _ in range(8 if balance else 0):
        moved = False
        for u in reversed(order):
            outs = [layer[v] for v in succ[u] if boxes[v].pin != "last"]
            if free[u] and outs and len(outs) > len(pred[u]):
                hi = min(outs) - 1
                if hi > layer[u]:
                    layer[u], moved = hi, True
        for u in order:
            if free[u] and len(pred[u]) > len(succ[u]):
                lo = max([layer[v] + 1 for v in pred[u]], default=base)
                if lo < layer[u]:
                    layer[u], moved = lo, True
        if not moved:
            break

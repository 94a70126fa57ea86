"""Crossing reduction: the order of the boxes inside each layer.

Alternating barycenter (or weighted median) sweeps with adjacent-swap
``transpose`` passes, from several starting orders (sweep, depth first, and
random restarts for small graphs), keeping the best ordering seen; small graphs
then get a sifting pass. Crossings are counted exactly with a Fenwick tree.
Groups (variants) stay contiguous; ranked ports keep their given order.
"""

from __future__ import annotations

import random

from hyperflow.viz._proper import ProperGraph, count_inversions

__all__ = ["count_inversions", "reduce_crossings"]


def _pairs_greater(a: list[float], b: list[float]) -> int:
    """Pairs (x in a, y in b) with x > y; both lists sorted ascending."""
    count = 0
    j = 0
    nb = len(b)
    for x in a:
        while j < nb and b[j] < x:
            j += 1
        count += j
    return count


def _initial_order(g: ProperGraph, dfs: bool) -> None:
    """Order every layer by a sweep from the first one, or in depth-first visit order."""
    if dfs:
        seen = [False] * len(g.width)
        layers: list[list[int]] = [[] for _ in g.layers]
        for root in g.layers[0] + [i for lay in g.layers[1:] for i in lay if not g.up[i]]:
            if seen[root]:
                continue
            stack = [root]
            while stack:
                item = stack.pop()
                if seen[item]:
                    continue
                seen[item] = True
                layers[g.layer[item]].append(item)
                stack.extend(o for o, _, _ in reversed(g.down[item]) if not seen[o])
        for lay, items in enumerate(layers):
            rest = [i for i in g.layers[lay] if not seen[i]]
            g.layers[lay] = items + rest
            _regroup(g, lay)
            g.reindex(lay)
        return
    g.reindex(0)
    for lay in range(1, len(g.layers)):
        _sort_layer(g, lay, downward=True, median=False)


def _regroup(g: ProperGraph, lay: int) -> None:
    """Gather the members of each group where its first member stands."""
    items = g.layers[lay]
    group = g.group
    if all(group[i] is None for i in items):
        return
    units: dict[object, list[int]] = {}
    for i in items:
        units.setdefault(group[i] if group[i] is not None else ("item", i), []).append(i)
    g.layers[lay] = [i for unit in units.values() for i in unit]


def _median(values: list[float]) -> float:
    values.sort()
    n = len(values)
    m = n // 2
    if n % 2:
        return values[m]
    if n == 2:
        return (values[0] + values[1]) / 2
    left, right = values[m - 1] - values[0], values[-1] - values[m]
    if left + right == 0:
        return (values[m - 1] + values[m]) / 2
    return (values[m - 1] * right + values[m] * left) / (left + right)


def _sort_layer(g: ProperGraph, lay: int, downward: bool, median: bool) -> None:
    pos = g.pos
    adj = g.up if downward else g.down
    keyed: list[tuple[float, int, int]] = []
    for i, item in enumerate(g.layers[lay]):
        nbrs = adj[item]
        if nbrs:
            vals = [pos[o] + g.frac(o, o_dy) for o, o_dy, _ in nbrs]
            key = _median(vals) if median else sum(vals) / len(vals)
        else:
            key = float(i)
        keyed.append((key, i, item))
    group = g.group
    if any(group[item] is not None for _, _, item in keyed):
        # a group moves as one unit, at the mean of its members' keys
        sums: dict[str, list[float]] = {}
        for key, _, item in keyed:
            gr = group[item]
            if gr is not None:
                sums.setdefault(gr, []).append(key)
        unit = {gr: sum(v) / len(v) for gr, v in sums.items()}
        ranked: list[tuple[float, str, float, int, int]] = []
        for key, i, item in keyed:
            gr = group[item]
            ranked.append((unit[gr] if gr is not None else key, gr or "", key, i, item))
        ranked.sort()
        g.layers[lay] = [r[-1] for r in ranked]
    else:
        keyed.sort()
        g.layers[lay] = [k[-1] for k in keyed]
    g.reindex(lay)


def _transpose(g: ProperGraph, max_passes: int, ties: bool) -> None:
    pos = g.pos
    for _ in range(max_passes):
        improved = False
        for items in g.layers:
            if len(items) < 2:
                continue
            ups = {it: sorted(pos[o] + g.frac(o, d) for o, d, _ in g.up[it]) for it in items}
            downs = {it: sorted(pos[o] + g.frac(o, d) for o, d, _ in g.down[it]) for it in items}
            for i in range(len(items) - 1):
                u, v = items[i], items[i + 1]
                if g.rank[u] is not None and g.rank[v] is not None:
                    continue
                if g.group[u] != g.group[v]:  # keep groups in one piece
                    continue
                keep = _pairs_greater(ups[u], ups[v]) + _pairs_greater(downs[u], downs[v])
                swap = _pairs_greater(ups[v], ups[u]) + _pairs_greater(downs[v], downs[u])
                if swap < keep or (ties and swap == keep and keep > 0):
                    items[i], items[i + 1] = v, u
                    pos[u], pos[v] = i + 1, i
                    improved = improved or swap < keep
        if not improved:
            return


def _run_strategy(
    g: ProperGraph, dfs: bool, median: bool, max_iter: int, passes: int, seed: int = 0
) -> int:
    _initial_order(g, dfs)
    if seed:  # a random restart: shuffle, then let the sweeps sort it out
        rng = random.Random(seed)
        for lay in range(len(g.layers)):
            rng.shuffle(g.layers[lay])
            _regroup(g, lay)
            g.reindex(lay)
    _transpose(g, passes, False)
    best = g.crossings()
    saved = [list(items) for items in g.layers]
    stale = 0
    for it in range(max_iter):
        if best == 0:
            break
        if it % 2 == 0:
            for lay in range(1, len(g.layers)):
                _sort_layer(g, lay, downward=True, median=median)
        else:
            for lay in range(len(g.layers) - 2, -1, -1):
                _sort_layer(g, lay, downward=False, median=median)
        _transpose(g, passes, ties=it % 4 >= 2)
        c = g.crossings()
        if c < best:
            best, saved, stale = c, [list(items) for items in g.layers], 0
        else:
            stale += 1
            if stale >= 6:
                break
    g.layers = saved
    for lay in range(len(g.layers)):
        g.reindex(lay)
    return best


def _sift(g: ProperGraph, rounds: int) -> None:
    """Move each item to the place in its layer where it crosses least (small graphs)."""
    last = len(g.layers) - 1
    group = g.group

    def local(lay: int) -> int:
        c = g.crossings_between(lay - 1) if lay > 0 else 0
        return c + (g.crossings_between(lay) if lay < last else 0)

    for _ in range(rounds):
        improved = False
        for lay, items in enumerate(g.layers):
            if len(items) < 2 or any(g.rank[i] is not None for i in items):
                continue
            for item in list(items):
                if group[item] is not None:
                    continue
                start = items.index(item)
                best_c, best_i = local(lay), start
                items.pop(start)
                for i in range(len(items) + 1):
                    inner = 0 < i < len(items) and group[items[i - 1]] is not None
                    if inner and group[items[i - 1]] == group[items[i]]:
                        continue  # never split a group
                    items.insert(i, item)
                    g.reindex(lay)
                    c = local(lay)
                    items.pop(i)
                    if c < best_c:
                        best_c, best_i = c, i
                items.insert(best_i, item)
                g.reindex(lay)
                improved = improved or best_i != start
        if not improved:
            return


def reduce_crossings(g: ProperGraph, effort: float) -> int:
    size = len(g.width)
    seeds = [0] * 4
    if size < 400:
        strategies = [(False, False), (True, True), (True, False), (False, True)]
        if size < 100:  # small pictures are cheap: add random restarts
            strategies += [(False, i % 2 == 1) for i in range(8)]
            seeds += list(range(1, 9))
    elif size < 3000:
        strategies = [(False, False), (True, True)]
    else:
        strategies = [(False, False)]
    max_iter = max(4, int((24 if size < 3000 else 8) * effort))
    passes = 4 if size < 3000 else 2
    best: int | None = None
    best_layers: list[list[int]] = []
    for (dfs, median), seed in zip(strategies, seeds, strict=False):
        c = _run_strategy(g, dfs, median, max_iter, passes, seed)
        if best is None or c < best:
            best, best_layers = c, [list(items) for items in g.layers]
        if best == 0:
            break
    g.layers = best_layers
    for lay in range(len(g.layers)):
        g.reindex(lay)
    if best and size < 400:
        _sift(g, 3)
        best = min(best, g.crossings())
    return best or 0

"""Graph algorithms over node keys, all iterative (a 10,000-node chain must not recurse)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["find_cycle", "topological_order"]


def topological_order(keys: Sequence[str], deps: Mapping[str, Iterable[str]]) -> list[str] | None:
    """Kahn's algorithm; keeps the given order among independent nodes.

    Returns ``None`` when the graph has a cycle.
    """
    indegree = dict.fromkeys(keys, 0)
    children: dict[str, list[str]] = {k: [] for k in keys}
    for k in keys:
        for d in deps[k]:
            indegree[k] += 1
            children[d].append(k)
    ready = [k for k in reversed(keys) if indegree[k] == 0]
    order: list[str] = []
    while ready:
        k = ready.pop()
        order.append(k)
        for c in reversed(children[k]):
            indegree[c] -= 1
            if indegree[c] == 0:
                ready.append(c)
    return order if len(order) == len(keys) else None


def find_cycle(keys: Sequence[str], deps: Mapping[str, Iterable[str]]) -> list[str]:
    """Return one cycle as a path ``[a, b, ..., a]`` (edges point from dependency to user)."""
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(keys, white)
    for root in keys:
        if color[root] != white:
            continue
        stack: list[tuple[str, list[str]]] = [(root, list(deps[root]))]
        path = [root]
        color[root] = grey
        while stack:
            k, pending = stack[-1]
            if pending:
                d = pending.pop()
                if color[d] == grey:
                    cycle = [*path[path.index(d) :], d]
                    cycle.reverse()  # dependency -> consumer direction
                    return cycle
                if color[d] == white:
                    color[d] = grey
                    stack.append((d, list(deps[d])))
                    path.append(d)
            else:
                color[k] = black
                stack.pop()
                path.pop()
    return []

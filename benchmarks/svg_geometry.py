"""Reading drawn edges back: from our SVG paths or Graphviz JSON, and counting crossings.

Both layouts are measured the same way: each edge becomes a sampled polyline
(cubic Béziers at 12 steps), and a crossing is a proper intersection of two
edges that share no endpoint node (touching at a shared point does not count).
Crossings are counted as distinct points of the drawing: where edges are drawn
bundled along one stroke, the stroke crosses another line once, not once per
edge it carries.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np

__all__ = ["count_crossings", "dot_edges", "path_points", "svg_edges"]

Poly = list[tuple[float, float]]
_TOKEN = re.compile(r"[MLC]|-?[\d.]+(?:e-?\d+)?")
SVG = "{http://www.w3.org/2000/svg}"


def _bezier(p0: Any, p1: Any, p2: Any, p3: Any, steps: int = 12) -> Poly:
    out = []
    for i in range(1, steps + 1):
        t = i / steps
        a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3
        out.append(
            (
                a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
            )
        )
    return out


def path_points(d: str, *, controls: bool = False) -> Poly:
    """Points of an SVG path made of M, L and C commands (sampled, or raw control points)."""
    tokens = _TOKEN.findall(d)
    pts: Poly = []
    i = 0
    cmd = ""
    while i < len(tokens):
        if tokens[i] in "MLC":
            cmd = tokens[i]
            i += 1
            continue
        if cmd in "ML":
            pts.append((float(tokens[i]), float(tokens[i + 1])))
            i += 2
        else:
            c = [(float(tokens[i + k]), float(tokens[i + k + 1])) for k in (0, 2, 4)]
            i += 6
            pts.extend(c if controls else _bezier(pts[-1], *c))
    return pts


def svg_edges(svg: str) -> list[tuple[str, str, Poly]]:
    """``(src, dst, polyline)`` for every ``hf-edge`` path of one of our pictures."""
    root = ET.fromstring(svg)
    return [
        (p.get("data-src", ""), p.get("data-dst", ""), path_points(p.get("d", "")))
        for p in root.iter(f"{SVG}path")
        if p.get("class") == "hf-edge"
    ]


def dot_edges(dot_source: str) -> list[tuple[str, str, Poly]]:
    """Lay ``dot_source`` out with Graphviz ``dot`` and return its edges as polylines."""
    out = subprocess.run(
        ["dot", "-Tjson"], input=dot_source, capture_output=True, text=True, check=True
    ).stdout
    data = json.loads(out)
    names = {o["_gvid"]: o["name"] for o in data.get("objects", [])}
    edges = []
    for e in data.get("edges", []):
        poly: Poly = []
        for op in e.get("_draw_", []):
            if op.get("op") in ("b", "B"):
                pts = [tuple(p) for p in op["points"]]
                poly.append(pts[0])
                for k in range(1, len(pts) - 2, 3):
                    poly.extend(_bezier(poly[-1], pts[k], pts[k + 1], pts[k + 2]))
        edges.append((names[e["tail"]], names[e["head"]], poly))
    return edges


def _segments(poly: Poly) -> np.ndarray:
    a = np.asarray(poly, dtype=float)
    return np.concatenate([a[:-1], a[1:]], axis=1) if len(a) > 1 else np.zeros((0, 4))


def count_crossings(edges: list[tuple[str, str, Poly]]) -> int:
    """Distinct points where edges with no common endpoint node properly intersect."""
    segs = [_segments(p) for _, _, p in edges]
    boxes = [
        (s[:, [0, 2]].min(), s[:, [1, 3]].min(), s[:, [0, 2]].max(), s[:, [1, 3]].max())
        if len(s)
        else None
        for s in segs
    ]
    points: set[tuple[int, int]] = set()
    for i in range(len(edges)):
        for j in range(i + 1, len(edges)):
            if {edges[i][0], edges[i][1]} & {edges[j][0], edges[j][1]}:
                continue
            bi, bj = boxes[i], boxes[j]
            if bi is None or bj is None or bi[0] > bj[2] or bj[0] > bi[2]:
                continue
            if bi[1] > bj[3] or bj[1] > bi[3]:
                continue
            points.update(_intersections(segs[i], segs[j]))
    return len(points)


def _intersections(a: np.ndarray, b: np.ndarray) -> list[tuple[int, int]]:
    p = a[:, None, 0:2]
    r = a[:, None, 2:4] - p
    q = b[None, :, 0:2]
    s = b[None, :, 2:4] - q
    denom = r[..., 0] * s[..., 1] - r[..., 1] * s[..., 0]
    qp = q - p
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (qp[..., 0] * s[..., 1] - qp[..., 1] * s[..., 0]) / denom
        u = (qp[..., 0] * r[..., 1] - qp[..., 1] * r[..., 0]) / denom
    eps = 1e-9  # open intervals: paths that only touch (a shared port) do not cross
    ok = (np.abs(denom) > 1e-12) & (t > eps) & (t < 1 - eps) & (u > eps) & (u < 1 - eps)
    ii, jj = np.nonzero(ok)
    xs = p[ii, 0, 0] + t[ii, jj] * r[ii, 0, 0]
    ys = p[ii, 0, 1] + t[ii, jj] * r[ii, 0, 1]
    return [(round(x * 2), round(y * 2)) for x, y in zip(xs, ys, strict=True)]  # 0.5 px

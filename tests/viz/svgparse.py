"""Reading our SVG back into boxes, labels and edge polylines, for geometry tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from benchmarks.svg_geometry import path_points

NS = "{http://www.w3.org/2000/svg}"
Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass
class DrawnNode:
    attrs: dict[str, str]
    box: Box
    shapes: list[str]
    texts: list[dict[str, str]]
    title: str
    dashed: bool


@dataclass
class Drawing:
    nodes: list[DrawnNode] = field(default_factory=list)
    clusters: list[tuple[dict[str, str], Box]] = field(default_factory=list)
    edges: list[tuple[str, str, list[tuple[float, float]], bool]] = field(default_factory=list)


def _box(el: ET.Element) -> Box:
    if el.tag == f"{NS}rect":
        x, y = float(el.get("x", 0)), float(el.get("y", 0))
        return x, y, x + float(el.get("width", 0)), y + float(el.get("height", 0))
    pts = [tuple(map(float, p.split(","))) for p in el.get("points", "").split()]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def parse(svg: str) -> Drawing:
    root = ET.fromstring(svg)
    out = Drawing()
    for g in root.iter(f"{NS}g"):
        cls = g.get("class")
        if cls == "hf-node":
            shapes = [el for el in g if el.tag in (f"{NS}rect", f"{NS}polygon")]
            texts = [dict(t.attrib, text=t.text or "") for t in g.iter(f"{NS}text")]
            title = g.find(f"{NS}title")
            dashed = any(el.get("stroke-dasharray") for el in shapes)
            out.nodes.append(
                DrawnNode(
                    dict(g.attrib),
                    union([_box(el) for el in shapes]),
                    [el.tag.removeprefix(NS) for el in shapes],
                    texts,
                    title.text or "" if title is not None else "",
                    dashed,
                )
            )
        elif cls == "hf-cluster":
            rect = g.find(f"{NS}rect")
            assert rect is not None
            out.clusters.append((dict(g.attrib), _box(rect)))
    for p in root.iter(f"{NS}path"):
        if p.get("class") == "hf-edge":
            out.edges.append(
                (
                    p.get("data-src", ""),
                    p.get("data-dst", ""),
                    path_points(p.get("d", ""), controls=True),
                    bool(p.get("stroke-dasharray")),
                )
            )
    return out


def overlap(a: Box, b: Box, tol: float = 0.01) -> bool:
    return a[0] < b[2] - tol and b[0] < a[2] - tol and a[1] < b[3] - tol and b[1] < a[3] - tol


def inside(inner: Box, outer: Box, tol: float = 0.01) -> bool:
    return (
        inner[0] >= outer[0] - tol
        and inner[1] >= outer[1] - tol
        and inner[2] <= outer[2] + tol
        and inner[3] <= outer[3] + tol
    )

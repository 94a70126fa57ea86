"""Pipeline pictures: shapes, variants, nesting by depth, tooltips, and SVG geometry."""

from __future__ import annotations

import functools
import itertools
import socket
import subprocess
from typing import Any

import pytest
from benchmarks.layout_pipelines import SAMPLES, nested3, random_dag, sample, train, weather

import hyperflow as hf
from hyperflow.core import graph_view
from hyperflow.viz._text import text_width
from tests.viz.svgparse import Drawing, inside, overlap, parse

# an independent, pessimistic width: 0.62 em per glyph, 0.95 em for the widest ones
WIDE = set("mwMW@%")


def pessimistic_width(text: str, size: float) -> float:
    return sum((0.95 if c in WIDE else 0.62) * size for c in text)


@functools.cache
def drawing(name: str) -> tuple[hf.Pipeline, dict[str, Any], Drawing]:
    pipeline, kw = sample(name)
    return pipeline, kw, parse(pipeline.visualize(**kw).svg)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_no_two_node_boxes_overlap(name: str) -> None:
    _, _, d = drawing(name)
    boxes = [n.box for n in d.nodes]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not overlap(a, b), (name, a, b)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_label_fits_its_box(name: str) -> None:
    _, _, d = drawing(name)
    for n in d.nodes:
        x0, y0, x1, y1 = n.box
        for t in n.texts:
            length = float(t["textLength"])
            size = float(t["font-size"])
            assert t["text-anchor"] == "middle" and t["lengthAdjust"] == "spacingAndGlyphs"
            # the renderer squeezes the glyphs into textLength, so the text spans exactly it
            cx = float(t["x"])
            assert x0 < cx - length / 2 and cx + length / 2 < x1, (name, t)
            assert y0 < float(t["y"]) - size * 0.75 and float(t["y"]) < y1, (name, t)
            # and textLength is not a squeeze: it is at least a realistic width
            assert length >= 0.8 * text_width(t["text"], size)
            assert length <= pessimistic_width(t["text"], size) + 1


@pytest.mark.parametrize("name", list(SAMPLES))
def test_edges_run_from_producer_to_consumer_left_to_right(name: str) -> None:
    pipeline, kw, d = drawing(name)
    by_id = {n.attrs["data-id"]: n.box for n in d.nodes}
    view = graph_view(pipeline, depth=kw.get("depth"), config=kw.get("config"))
    assert sorted((e.src, e.dst) for e in view.edges) == sorted((s, t) for s, t, _, _ in d.edges)
    for src, dst, pts, _ in d.edges:
        sbox, dbox = by_id[src], by_id[dst]
        (x0, y0), (x1, y1) = pts[0], pts[-1]
        assert abs(x0 - sbox[2]) < 0.02 and sbox[1] <= y0 <= sbox[3], (name, src, pts[0])
        assert abs(x1 - dbox[0]) < 0.02 and dbox[1] <= y1 <= dbox[3], (name, dst, pts[-1])
        xs = [p[0] for p in pts]  # control points included: the curve stays monotone
        assert all(b >= a - 1e-6 for a, b in itertools.pairwise(xs)), (name, src, dst)
        for n in d.nodes:  # an edge never runs through a box it does not connect
            if n.attrs["data-id"] in (src, dst):
                continue
            x0n, y0n, x1n, y1n = n.box
            for px, py in pts:
                assert not (x0n + 1 < px < x1n - 1 and y0n + 1 < py < y1n - 1), (name, src, dst)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_node_appears_exactly_once(name: str) -> None:
    pipeline, kw, d = drawing(name)
    view = graph_view(pipeline, depth=kw.get("depth"), config=kw.get("config"))
    keys = [n.attrs["data-key"] for n in d.nodes]
    assert sorted(keys) == sorted(n.key for n in view.nodes)
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("name", list(SAMPLES))
def test_clusters_hold_their_members_and_nothing_else(name: str) -> None:
    pipeline, kw, d = drawing(name)
    view = graph_view(pipeline, depth=kw.get("depth"), config=kw.get("config"))
    parent = {c.id: c.parent for c in view.clusters}
    rect = {attrs["data-id"]: box for attrs, box in d.clusters}
    assert set(rect) == set(parent)

    def within(cluster: str | None, target: str) -> bool:
        while cluster is not None:
            if cluster == target:
                return True
            cluster = parent[cluster]
        return False

    home = {n.id: n.cluster for n in view.nodes}
    for n in d.nodes:
        for cid, box in rect.items():
            member = within(home[n.attrs["data-id"]], cid)
            assert inside(n.box, box) if member else not overlap(n.box, box), (name, cid)
    for a in rect:
        for b in rect:
            if a < b and not within(a, b) and not within(b, a):
                assert not overlap(rect[a], rect[b]), (name, a, b)


def test_inputs_nodes_and_outputs_have_distinct_shapes() -> None:
    d = parse(train().visualize().svg)
    shape = {n.attrs["data-key"]: (n.attrs["data-shape"], tuple(n.shapes)) for n in d.nodes}
    assert shape["path"] == ("parallelogram", ("polygon",))
    assert shape["split"] == ("rounded", ("rect",))
    assert shape["metrics"] == ("double", ("rect", "rect"))
    collapsed = parse(nested3().visualize(depth=0).svg)
    kinds = {n.attrs["data-key"]: n.attrs["data-shape"] for n in collapsed.nodes}
    assert kinds["featurize"] == "stack"


def test_variants_are_a_group_with_the_active_one_highlighted() -> None:
    d = parse(weather().visualize(config={"features": "calendar", "model": "ridge"}).svg)
    groups = {a["data-id"]: a for a, _ in d.clusters}
    assert {a["data-kind"] for a in groups.values()} == {"variants"}
    nodes = {n.attrs["data-key"]: n for n in d.nodes}
    for active, others in (("calendar", ("lags", "rolling")), ("ridge", ("gbm",))):
        out = "features" if active == "calendar" else "model"
        on = nodes[f"{out}.{active}"]
        assert on.attrs["data-active"] == "true" and not on.dashed
        for other in others:
            off = nodes[f"{out}.{other}"]
            assert off.attrs["data-active"] == "false" and off.dashed
    # edges into and out of the inactive alternatives are dashed, the active ones solid
    for src, dst, _, dashed in d.edges:
        if "lags" in src + dst or "gbm" in src + dst:
            assert dashed
        if src == "n_features_calendar":
            assert not dashed


def test_depth_collapses_nested_pipelines_into_single_boxes() -> None:
    p = nested3()
    full = parse(p.visualize().svg)
    assert sorted(a["data-id"] for a, _ in full.clusters) == [
        "cl_featurize",
        "cl_featurize_tokenize",
    ]
    one = parse(p.visualize(depth=1).svg)
    assert [a["data-id"] for a, _ in one.clusters] == ["cl_featurize"]
    inner = {n.attrs["data-key"]: n.attrs["data-kind"] for n in one.nodes}
    assert inner["featurize.tokenize"] == "pipeline"
    zero = parse(p.visualize(depth=0).svg)
    assert zero.clusters == []
    assert {n.attrs["data-key"]: n.attrs["data-kind"] for n in zero.nodes}["featurize"] == (
        "pipeline"
    )


def test_parameter_spaces_appear_in_the_tooltips() -> None:
    d = parse(train().visualize(config={"features": "poly", "model.C": 0.5}).svg)
    tips = {n.attrs["data-key"]: n.title for n in d.nodes}
    assert "model.C: Float(0.001, 1000.0, log=True) = 0.5" in tips["model"]
    assert "features.poly.degree: Int(2, 3) = 2" in tips["features.poly"]
    assert "split.seed: Int(0, 9) = 0" in tips["split"]


def test_drawing_needs_no_binary_and_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*a: Any, **k: Any) -> Any:
        raise AssertionError("a picture must not start processes or open sockets")

    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(subprocess, "Popen", forbidden)
    monkeypatch.setattr(socket, "socket", forbidden)
    fig = weather().visualize()
    assert fig.svg.count('class="hf-node"') == len(graph_view(weather()).nodes)


def test_500_nodes_lay_out_without_overlaps() -> None:
    d = parse(random_dag(500, seed=7).visualize().svg)
    assert len(d.nodes) > 500
    boxes = sorted(n.box for n in d.nodes)
    for i, a in enumerate(boxes):  # sweep by x: only boxes starting before a ends can overlap
        for b in boxes[i + 1 :]:
            if b[0] >= a[2]:
                break
            assert not overlap(a, b)

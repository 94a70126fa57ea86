"""The layered layout on its own: layers, crossing reduction, ports, coordinates."""

from __future__ import annotations

import itertools
import random

import pytest

from hyperflow.viz import Box, Link, count_inversions, layered_layout


def brute_inversions(values: list[float]) -> int:
    return sum(1 for a, b in itertools.combinations(values, 2) if a > b)


def test_count_inversions_matches_brute_force() -> None:
    rng = random.Random(1)
    for _ in range(50):
        values = [float(rng.randrange(6)) for _ in range(rng.randrange(0, 30))]
        assert count_inversions(values) == brute_inversions(values)


def crossings_of(layers: list[list[str]], links: list[tuple[str, str]]) -> int:
    """Crossings of a proper layered drawing (only links between adjacent layers)."""
    pos = {n: (li, i) for li, layer in enumerate(layers) for i, n in enumerate(layer)}
    total = 0
    for (a, b), (c, d) in itertools.combinations(links, 2):
        same_gap = pos[a][0] == pos[c][0] and a != c and b != d
        if same_gap and (pos[a][1] - pos[c][1]) * (pos[b][1] - pos[d][1]) < 0:
            total += 1
    return total


def test_an_interleaved_ordering_is_untangled_to_zero_crossings() -> None:
    # two chains whose given order interleaves: any planar order has no crossing
    names = ["a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4"]
    boxes = [Box(n, 30, 20) for n in ["a0", "b0", *names]]
    links = [Link("a0", "b1"), Link("b0", "a1")]
    links += [
        Link(f"{x}{i}", f"{y}{i + 1}") for i in range(1, 4) for x, y in (("a", "b"), ("b", "a"))
    ]
    out = layered_layout(boxes, links)
    assert out.crossings == 0
    assert crossings_of(out.layers, [(lk.src, lk.dst) for lk in links]) == 0


def test_crossing_reduction_reaches_the_optimum_on_small_graphs() -> None:
    rng = random.Random(3)
    for _ in range(20):
        top = [f"t{i}" for i in range(4)]
        bottom = [f"b{i}" for i in range(4)]
        pairs = sorted({(rng.choice(top), rng.choice(bottom)) for _ in range(6)})
        used = {n for p in pairs for n in p}
        boxes = [Box(n, 30, 20) for n in top + bottom if n in used]
        out = layered_layout(boxes, [Link(a, b) for a, b in pairs])
        best = min(
            crossings_of([list(pt), list(pb)], pairs)
            for pt in itertools.permutations([n for n in top if n in used])
            for pb in itertools.permutations([n for n in bottom if n in used])
        )
        assert out.crossings == best


def test_layers_follow_the_edges_and_sources_sit_next_to_their_consumer() -> None:
    boxes = [Box(n, 40, 20) for n in "abcdx"]
    links = [Link("a", "b"), Link("b", "c"), Link("c", "d"), Link("x", "d")]
    out = layered_layout(boxes, links)
    layer = {n: i for i, names in enumerate(out.layers) for n in names}
    assert [layer[n] for n in "abcd"] == [0, 1, 2, 3]
    assert layer["x"] == 2  # an input is drawn just before the node that uses it
    for lk, route in zip(links, out.routes, strict=True):
        xs = [p[0] for p in route]
        assert xs == sorted(xs)
        assert route[0][0] == out.centers[lk.src][0] + 20
        assert route[-1][0] == out.centers[lk.dst][0] - 20


def test_boxes_in_a_layer_keep_their_distance() -> None:
    boxes = [Box("s", 40, 20)] + [Box(f"t{i}", 40, 10 + 5 * i) for i in range(6)]
    out = layered_layout(boxes, [Link("s", f"t{i}") for i in range(6)], node_gap=16)
    ys = sorted((out.centers[f"t{i}"][1], 10 + 5 * i) for i in range(6))
    for (y0, h0), (y1, h1) in itertools.pairwise(ys):
        assert y1 - y0 >= (h0 + h1) / 2 + 16 - 1e-6
    # the source sits level with the middle of what it feeds
    mid = (ys[0][0] + ys[-1][0]) / 2
    assert abs(out.centers["s"][1] - mid) < 20


def test_pinned_ports_stay_in_the_first_and_last_layers_in_rank_order() -> None:
    boxes = [
        Box("in_b", 0, 0, "first", rank=2.0),
        Box("in_a", 0, 0, "first", rank=1.0),
        Box("n", 40, 20),
        Box("m", 40, 20),
        Box("out", 0, 0, "last"),
    ]
    links = [Link("in_a", "m"), Link("in_b", "n"), Link("n", "out"), Link("m", "out")]
    out = layered_layout(boxes, links)
    assert out.layers[0] == ["in_a", "in_b"]
    assert out.layers[-1] == ["out"]
    assert out.centers["in_a"][0] == 0.0
    assert out.centers["out"][0] == pytest.approx(out.width)


def test_a_cycle_is_refused() -> None:
    with pytest.raises(ValueError, match="acyclic"):
        layered_layout([Box("a", 1, 1), Box("b", 1, 1)], [Link("a", "b"), Link("b", "a")])

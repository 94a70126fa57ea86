"""Run pictures: wall time as colour, cache hits and the failing node marked."""

from __future__ import annotations

import pytest

import hyperflow as hf
from hyperflow.engine import RunResult
from tests.viz.svgparse import parse


def load(path: str) -> list[int]:
    return [1, 2, 3]


def quick(load: list[int]) -> int:
    return len(load)


def slow(load: list[int]) -> int:
    return sum(load)


def report(quick: int, slow: int) -> str:
    return f"{quick}/{slow}"


def luminance(hex_color: str) -> float:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def fills(svg: str) -> dict[str, str]:
    out = {}
    for n in parse(svg).nodes:
        out[n.attrs["data-key"]] = n.attrs
    return out


def shape_fill(svg: str, key: str) -> str:
    import re

    group = re.search(rf'<g class="hf-node"[^>]*data-key="{key}".*?</g>', svg)
    assert group is not None
    fill = re.search(r'<rect [^>]*fill="(#[0-9a-f]{6})"', group.group(0))
    assert fill is not None
    return fill.group(1)


def test_nodes_are_coloured_by_wall_time() -> None:
    p = hf.Pipeline([load, quick, slow, report], name="timed")
    ran = p.run(inputs={"path": "x"}, track=False)
    drawn = fills(ran.visualize().svg)  # a real run: every node carries its measured time
    for key, seconds in ran.timings.items():
        assert float(drawn[key]["data-seconds"]) == pytest.approx(seconds, rel=1e-5)
    # chosen timings (no sleeping): one slow node, the others near-instant
    timings = {"load": 2e-4, "quick": 1e-5, "slow": 0.25, "report": 3e-5}
    timed = RunResult(
        dict(ran),
        run_id="timed",
        pipeline=p.name,
        config=ran.config,
        timings=timings,
        cache_hits=dict.fromkeys(timings, False),
        source=p,
    )
    svg = timed.visualize().svg
    assert float(fills(svg)["slow"]["data-seconds"]) == 0.25
    # the slowest node is the darkest; a near-instant one stays light
    assert luminance(shape_fill(svg, "slow")) < luminance(shape_fill(svg, "quick")) - 60
    slow_texts = next(n.texts for n in parse(svg).nodes if n.attrs["data-key"] == "slow")
    assert slow_texts[1]["text"] == "250.0 ms"  # the time is written under the name
    assert 'class="hf-legend"' in svg


def test_cache_hits_are_marked() -> None:
    p = hf.Pipeline([load, quick, slow, report], name="timed")
    first = p.run(inputs={"path": "x"}, track=False)
    # a second run whose upstream came from the cache, as the engine reports it
    hits = {k: k in ("load", "slow") for k in first.timings}
    again = RunResult(
        dict(first),
        run_id="again",
        pipeline=p.name,
        config=first.config,
        timings={k: (1e-5 if hits[k] else v) for k, v in first.timings.items()},
        cache_hits=hits,
        source=p,
    )
    drawn = parse(again.visualize().svg)
    marked = {n.attrs["data-key"] for n in drawn.nodes if n.attrs.get("data-cache-hit")}
    assert marked == {"load", "slow"}
    tips = {n.attrs["data-key"]: n.title for n in drawn.nodes}
    assert "cached" in tips["slow"] and "cached" not in tips["quick"]


def broken(load: list[int]) -> int:
    raise RuntimeError("disk full")


def after(broken: int) -> int:
    return broken


def test_a_failed_run_marks_the_failing_node_and_what_never_ran() -> None:
    p = hf.Pipeline([load, quick, broken, after], name="fails")
    with pytest.raises(hf.NodeError) as info:
        p.run(inputs={"path": "x"}, track=False)
    partial = info.value.result
    assert partial is not None and partial.failed_node == "broken"
    fig = partial.visualize()
    nodes = fills(fig.svg)
    assert nodes["broken"].get("data-failed") == "true"
    assert [k for k, a in nodes.items() if a.get("data-failed")] == ["broken"]
    assert nodes["after"].get("data-ran") == "false"
    assert "data-seconds" in nodes["load"]
    assert "failed at broken" in fig.title


def test_a_failure_inside_a_nested_pipeline_marks_the_inner_node() -> None:
    inner = hf.Pipeline([broken, after], name="inner")
    outer = hf.Pipeline([load, inner.as_node("prep")], name="outer")
    with pytest.raises(hf.NodeError) as info:
        outer.run(inputs={"path": "x"}, track=False)
    nodes = fills(info.value.result.visualize().svg)
    assert nodes["prep.broken"].get("data-failed") == "true"
    assert nodes["prep.after"].get("data-ran") == "false"


def test_a_result_without_its_pipeline_says_how_to_draw_it() -> None:
    r = RunResult({}, run_id="r1", pipeline="p", config={}, timings={}, cache_hits={})
    with pytest.raises(hf.VizError, match=r"run_figure\(result, pipeline="):
        r.visualize()
    p = hf.Pipeline([load], name="p")
    assert 'data-key="load"' in hf.viz.run_figure(r, pipeline=p).svg

from __future__ import annotations

from typing import Annotated

import pytest

import hyperflow as hf


def clean(doc: str, lower: Annotated[bool, hf.Bool()] = True) -> str:
    return doc.strip().lower() if lower else doc.strip()


def tokens(clean: str) -> list[str]:
    return clean.split()


def count(tokens: list[str]) -> int:
    return len(tokens)


def prep() -> hf.Pipeline:
    return hf.Pipeline([clean, tokens, count], name="prep")


def total(counts: list[int]) -> int:
    return sum(counts)


def test_nested_space_appears_under_the_node_name() -> None:
    outer = hf.Pipeline(
        [
            prep().as_node(
                name="prep", inputs={"docs": "doc"}, outputs={"count": "counts"}, map_over="docs"
            ),
            total,
        ],
        name="outer",
    )
    assert list(outer.space) == ["prep.clean.lower"]
    assert outer.inputs == ("docs",)


def test_map_over_maps_a_list_to_list_outputs() -> None:
    node = prep().as_node(
        name="prep",
        inputs={"docs": "doc"},
        outputs={"count": "counts", "tokens": "toks"},
        map_over="docs",
    )
    outer = hf.Pipeline([node, total], name="outer")
    r = outer.run(inputs={"docs": [" A b ", "C d E"]}, outputs=["total", "toks"], track=False)
    assert r["total"] == 5
    assert r["toks"] == [["a", "b"], ["c", "d", "e"]]
    r2 = outer.run(
        inputs={"docs": [" A b "]},
        config={"prep.clean.lower": False},
        outputs=["toks"],
        track=False,
    )
    assert r2["toks"] == [["A", "b"]]
    assert {"prep", "prep.clean", "prep.tokens", "prep.count"} <= set(r.timings)


def test_three_levels_of_nesting_with_variants_inside() -> None:
    @hf.node(output="scale", variant="double")
    def double(x: float) -> float:
        return 2 * x

    @hf.node(output="scale", variant="power")
    def power(x: float, p: Annotated[int, hf.Int(1, 4)] = 2) -> float:
        return float(x**p)

    level3 = hf.Pipeline([double, power], name="l3")
    level2 = hf.Pipeline([level3.as_node(name="inner", outputs={"scale": "y"})], name="l2")

    def plus(y: float) -> float:
        return y + 1

    level1 = hf.Pipeline([level2.as_node(name="mid"), plus], name="l1")
    assert list(level1.space) == ["mid.inner.scale", "mid.inner.scale.power.p"]
    assert level1.space["mid.inner.scale.power.p"].conditions == (("mid.inner.scale", "power"),)
    r = level1.run(
        inputs={"x": 3.0},
        config={"mid.inner.scale": "power", "mid.inner.scale.power.p": 3},
        track=False,
    )
    assert r["plus"] == 28.0
    assert "mid.inner.scale.power" in r.timings
    assert level1.run(inputs={"x": 3.0}, track=False)["plus"] == 7.0
    # collapsed vs expanded pictures
    collapsed = level1.to_mermaid(depth=0)
    assert 'n_mid[["mid"]]' in collapsed and "power" not in collapsed
    expanded = level1.to_mermaid()
    assert "subgraph cl_mid_inner" in expanded and 'n_mid_inner_scale_power["power"]' in expanded
    one = level1.to_dot(depth=1)
    assert "cluster_cl_mid " in one and 'n_mid_inner [label="inner", shape=box3d' in one


def test_nested_pipeline_as_a_variant() -> None:
    def shout(text: str) -> str:
        return text.upper()

    def whisper(text: str) -> str:
        return text.lower()

    loud = hf.Pipeline([shout], name="loud")
    quiet = hf.Pipeline([whisper], name="quiet")
    p = hf.Pipeline(
        [
            loud.as_node(name="loud", outputs={"shout": "styled"}, variant="loud"),
            quiet.as_node(name="quiet", outputs={"whisper": "styled"}, variant="quiet"),
        ]
    )
    assert p.space["styled"].domain == hf.Choice("loud", "quiet")
    assert p.run(inputs={"text": "Hi"}, track=False)["styled"] == "HI"
    assert p.run(inputs={"text": "Hi"}, config={"styled": "quiet"}, track=False)["styled"] == "hi"


def test_nesting_errors_name_the_problem() -> None:
    with pytest.raises(hf.NestingError, match=r"'nope' is not an input of pipeline 'prep'"):
        prep().as_node(name="p", inputs={"docs": "nope"})
    with pytest.raises(hf.NestingError, match=r"does not produce"):
        prep().as_node(name="p", outputs={"nope": "x"})
    with pytest.raises(hf.NestingError, match=r"map_over='docs' is not an input"):
        prep().as_node(name="p", map_over="docs")


def test_map_over_length_mismatch() -> None:
    def pair(a: int, b: int) -> int:
        return a * b

    inner = hf.Pipeline([pair], name="inner")
    p = hf.Pipeline([inner.as_node(name="m", map_over=["a", "b"])])
    assert p.run(inputs={"a": [1, 2], "b": [3, 4]}, track=False)["pair"] == [3, 8]
    with pytest.raises(hf.NodeError, match="lengths differ"):
        p.run(inputs={"a": [1, 2], "b": [3]}, track=False)

"""Figure: notebook display hooks and saving as SVG or HTML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from benchmarks.layout_pipelines import train

import hyperflow as hf
import hyperflow.viz


def test_figure_shows_in_notebooks_and_saves_by_suffix(tmp_path: Path) -> None:
    fig = train().visualize(depth=1, config={"features": "poly"})
    assert fig._repr_svg_() == fig.svg
    bundle = fig._repr_mimebundle_()
    assert bundle["image/svg+xml"] == fig.svg and fig.svg in bundle["text/html"]
    assert fig.svg in fig._repr_html_()
    ET.fromstring(fig.svg)  # well-formed XML
    svg = fig.save(tmp_path / "train.svg")
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert float(root.get("width", 0)) == pytest.approx(fig.width)
    html = fig.save(tmp_path / "train.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and fig.svg in html


def test_saving_to_an_unknown_suffix_names_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(hf.VizError, match=r"\.svg or \.html.*train\.svg"):
        train().visualize().save(tmp_path / "train.png")
    assert not (tmp_path / "train.png").exists()


def test_hf_viz_is_reachable_and_exports_exactly_its_public_names() -> None:
    assert hf.viz is hyperflow.viz
    public = {n for n in dir(hyperflow.viz) if not n.startswith("_")}
    modules = {n for n in public if isinstance(getattr(hyperflow.viz, n), type(hyperflow))}
    assert set(hyperflow.viz.__all__) == public - modules
    assert "viz" in hf.__all__ and "VizError" in hf.__all__


def test_two_figures_on_one_page_do_not_share_marker_ids() -> None:
    a = train().visualize().svg
    b = train().visualize(config={"features": "poly"}).svg
    ida = a.split('<marker id="')[1].split('"')[0]
    idb = b.split('<marker id="')[1].split('"')[0]
    assert ida != idb

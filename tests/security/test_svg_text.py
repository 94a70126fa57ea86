"""Untrusted names in pictures: control characters never make an SVG invalid XML.

Names of pipelines, nested pipelines, runs, parameters and choices, and titles
are user text. XML 1.0 cannot hold C0 control characters (except tab, newline,
carriage return) at all, not even escaped, so every SVG/HTML writer drops them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hyperflow as hf
from hyperflow.viz import Figure

# every C0 control but the three XML allows, plus DEL and two C1 controls (CSI, OSC)
CONTROLS = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r") + "\x7f\x9b\x9d"
NAME = f"evil{CONTROLS}name"


def assert_inert(svg: str) -> ET.Element:
    """The document parses as XML, and no control character made it through."""
    root = ET.fromstring(svg)
    leaked = sorted({hex(ord(c)) for c in svg if c in CONTROLS})
    assert not leaked, f"control characters in the output: {leaked}"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter() if el.tag.endswith(("text", "title"))]


def doubled(x: int) -> int:
    return 2 * x


def test_a_pipeline_picture_with_control_characters_in_names_is_valid_xml() -> None:
    inner = hf.Pipeline([doubled], name=f"inner{CONTROLS}")
    outer = hf.Pipeline([inner.as_node(name="nested")], name=NAME)
    root = assert_inert(outer.visualize().svg)
    assert "evilname" in texts(root)  # the readable rest of the name stays


def test_a_run_picture_and_a_failed_run_picture_are_valid_xml() -> None:
    def broken(doubled: int) -> int:
        raise ValueError(f"bad{CONTROLS}")

    ok = hf.Pipeline([doubled], name=NAME)
    assert_inert(hf.viz.run_figure(ok.run(inputs={"x": 1}, track=False)).svg)
    with pytest.raises(hf.NodeError) as err:
        hf.Pipeline([doubled, broken], name=NAME).run(inputs={"x": 1}, track=False)
    assert_inert(hf.viz.run_figure(err.value.result).svg)


def test_view_figure_titles_are_valid_xml() -> None:
    view = hf.core.graph_view(hf.Pipeline([doubled], name="p"))
    root = assert_inert(hf.viz.view_figure(view, title=NAME).svg)
    assert "evilname" in texts(root)


def test_study_plots_with_control_characters_in_params_and_titles_are_valid_xml() -> None:
    trials = [
        {"number": i, "value": float(i % 3), "params": {NAME: i * 0.5, "kind": f"c{i}{CONTROLS}"}}
        for i in range(6)
    ]
    assert_inert(hf.viz.plot_history(trials, title=NAME).svg)
    assert_inert(hf.viz.plot_importance(trials, title=NAME).svg)
    root = assert_inert(hf.viz.plot_parallel(trials, title=NAME).svg)
    assert "evilname" in texts(root)


def test_saved_svg_and_html_files_hold_no_control_characters(tmp_path: Path) -> None:
    fig = Figure(hf.Pipeline([doubled], name=NAME).visualize().svg, title=NAME)
    svg_file = fig.save(tmp_path / "dag.svg")
    ET.parse(svg_file)  # the file, XML declaration included, parses
    html = fig.save(tmp_path / "dag.html").read_text(encoding="utf-8")
    assert not [c for c in html if c in CONTROLS]
    assert "<title>evilname</title>" in html


def test_drift_report_html_holds_no_control_characters() -> None:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({NAME: rng.normal(size=300), "c": rng.choice([f"a{CONTROLS}", "b"], 300)})
    report = hf.monitor.drift(ref, ref.assign(**{NAME: ref[NAME] + 1}))
    html = report.to_html()
    assert not [c for c in html if c in CONTROLS]
    assert "evilname" in html


def test_tab_newline_and_other_text_survive() -> None:
    title = "tab\there · ünïcode ✓ <&> \U0001f600"
    root = assert_inert(hf.viz.plot_history([{"value": 1.0}], title=title).svg)
    assert title in texts(root)

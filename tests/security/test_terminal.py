"""Issue 23.5: text from the store (run and pipeline names, tags, error text, config values)
is made inert before it reaches a terminal: escape sequences and control characters are
removed and Rich markup is escaped, so one hostile run cannot break `runs list` or
`runs compare` for everyone using the store, nor retitle the terminal or fake links."""

from __future__ import annotations

import json

import pytest

import hyperflow as hf
from hyperflow.cli import main
from hyperflow.cli._common import inert

OSC_TITLE = "\x1b]0;pwned\x07"
OSC_LINK = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"
CSI = "\x1b[31;1mred\x1b[0m"
C1 = "\x9b2J"


def _hostile_runs() -> list[str]:
    ids = []
    for name in ("[/bad]", f"title{OSC_TITLE}", f"[bold]{CSI}{C1}"):
        with hf.start_run(name, tags={"note": f"[/]{OSC_LINK}\x07\x08"}) as run:
            run.log_params({"comment": f"[red]{CSI}"})
            run.log_metrics({"f1": 0.5})
        ids.append(run.id)
    with pytest.raises(RuntimeError), hf.start_run("failing") as run:
        raise RuntimeError(f"[/oops]{OSC_TITLE}{CSI}")
    ids.append(run.id)
    return ids


def _assert_inert(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\x08" not in text and "pwned\x07" not in text


def test_runs_list_and_compare_survive_markup_and_escapes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = _hostile_runs()
    assert main(["runs", "list"]) == 0
    out, err = capsys.readouterr()
    _assert_inert(out + err)
    assert "[/bad]" in out  # printed as itself, not parsed as markup
    assert main(["runs", "compare", *ids[:3]]) == 0
    out, err = capsys.readouterr()
    _assert_inert(out + err)
    assert "[red]" in out and "red" in out


def test_runs_show_and_errors_are_inert(capsys: pytest.CaptureFixture[str]) -> None:
    ids = _hostile_runs()
    for rid in ids:
        assert main(["runs", "show", rid]) == 0
        out, err = capsys.readouterr()
        _assert_inert(out + err)
    assert "[/oops]" in out  # the failed run's error text, literally
    assert main(["runs", "show", f"nope{OSC_TITLE}"]) == 1
    _assert_inert("".join(capsys.readouterr()))


def test_json_output_stays_exact_and_valid(capsys: pytest.CaptureFixture[str]) -> None:
    """Scripts get the stored text unchanged, JSON-escaped (no raw control characters)."""
    _hostile_runs()
    assert main(["runs", "list", "--json"]) == 0
    out = capsys.readouterr().out
    _assert_inert(out)
    names = {r["name"] for r in json.loads(out)}
    assert "[/bad]" in names and f"title{OSC_TITLE}" in names


def test_inert_keeps_text_newlines_and_tabs() -> None:
    assert inert(f"a\tb\nc{OSC_TITLE}{CSI}{OSC_LINK}\x00\x7f{C1}") == "a\tb\ncredclick"

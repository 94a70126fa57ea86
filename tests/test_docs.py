"""Every ```python block of README.md and docs/*.md runs the way a reader runs it, like
FastAPI's tutorial tests: in a fresh, empty folder (no config the page does not show), a block
whose first line is ``# name.py`` saved as that file, the other blocks run in order in one
namespace, as a script or notebook in that folder would (the folder first on ``sys.path``)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
FILE_BLOCK = re.compile(r"\A# ([\w/]+\.py)\n")


def blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text(encoding="utf-8"))


def paste(path: Path, folder: Path) -> list[str]:
    """Save the page's file blocks into ``folder``; the other blocks, in order."""
    rest = []
    for block in blocks(path):
        named = FILE_BLOCK.match(block)
        if named:
            (folder / named.group(1)).write_text(block, encoding="utf-8")
        else:
            rest.append(block)
    return rest


def test_docs_have_python_examples() -> None:
    assert sum(len(blocks(f)) for f in FILES) >= 8


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_code_blocks_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert list(tmp_path.iterdir()) == []  # the reader's new, empty folder (the cwd)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    before = set(sys.modules)
    namespace: dict[str, object] = {"__name__": "__main__"}
    try:
        for i, block in enumerate(paste(path, tmp_path)):
            try:
                exec(compile(block, f"{path.name}[block {i}]", "exec"), namespace)
            except Exception as exc:
                raise AssertionError(f"{path.name} block {i} failed: {exc!r}\n{block}") from exc
    finally:
        for name in set(sys.modules) - before:  # the page's own modules (iris.py, ...)
            module = sys.modules[name]
            if str(getattr(module, "__file__", "") or "").startswith(str(tmp_path)):
                del sys.modules[name]

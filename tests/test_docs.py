"""Every ```python block of README.md and docs/*.md runs (blocks of one file share a namespace,
in order, in a fresh project folder), like FastAPI's tutorial tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_docs_have_python_examples() -> None:
    assert sum(len(BLOCK.findall(f.read_text())) for f in FILES) >= 8


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_code_blocks_run(path: Path, tmp_path: Path) -> None:
    (tmp_path / "hyperflow.toml").write_text('name = "docs"\n')  # a project: runs are tracked here
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    for i, block in enumerate(BLOCK.findall(path.read_text())):
        try:
            exec(compile(block, f"{path.name}[block {i}]", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{path.name} block {i} failed: {exc!r}\n{block}") from exc

"""Local artifact writes are atomic: a failed write leaves neither a blob nor a temp file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hyperflow.store import FileArtifactStore


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileArtifactStore(str(tmp_path / "arts"))

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.put(b"payload")
    monkeypatch.undo()
    assert [p for p in (tmp_path / "arts").rglob("*") if p.is_file()] == []
    digest = store.put(b"payload")
    files = [p for p in (tmp_path / "arts").rglob("*") if p.is_file()]
    assert files == [Path(store.path_of(digest))]

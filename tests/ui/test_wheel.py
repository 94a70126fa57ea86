"""The dashboard's templates and assets are in the wheel (nothing fetched at run time)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.cli.test_installed import _build_wheel

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_ships_templates_and_static_assets(tmp_path: Path) -> None:
    names = set(zipfile.ZipFile(_build_wheel(tmp_path)).namelist())
    here = ROOT / "src" / "hyperflow" / "ui"
    wanted = {f"hyperflow/ui/{p.relative_to(here).as_posix()}"
              for sub in ("templates", "static") for p in (here / sub).iterdir()}
    assert wanted and wanted <= names, sorted(wanted - names)

"""A wheel of the running hyperflow, so a bundle installs it without an index.

Written from the imported package's files and the installed distribution's
metadata (``METADATA``, ``entry_points.txt``): the same files whether hyperflow was
installed from a wheel or in editable mode, pure Python (``py3-none-any``), with a
``RECORD`` of sha256 digests and fixed timestamps, so two builds give the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path

from hyperflow._errors import DeployError

__all__ = ["hyperflow_wheel"]

_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP_PARTS = {"__pycache__"}
_ENTRY_POINTS = "[console_scripts]\nhyperflow = hyperflow.cli:main\n"


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _package_files(package: Path) -> list[tuple[str, bytes]]:
    out = []
    for file in sorted(package.rglob("*")):
        rel = file.relative_to(package)
        if file.is_dir() or _SKIP_PARTS & set(rel.parts) or file.suffix in (".pyc", ".pyo"):
            continue
        out.append((f"hyperflow/{rel.as_posix()}", file.read_bytes()))
    return out


def _metadata(dist: metadata.Distribution) -> str:
    """The core metadata: ``METADATA`` of a dist-info, ``PKG-INFO`` of an egg-info (the one
    setuptools leaves in ``src/`` on an editable install, found first on ``sys.path``)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    if not text:
        raise DeployError(
            "the installed hyperflow has no core metadata (METADATA or PKG-INFO); "
            "reinstall it (pip install -e .) and build again"
        )
    return text


def hyperflow_wheel(folder: Path) -> Path:
    """Write ``hyperflow-VERSION-py3-none-any.whl`` into ``folder``; return its path."""
    import hyperflow

    dist = metadata.distribution("hyperflow")
    version = dist.version
    info = f"hyperflow-{version}.dist-info"
    package = Path(hyperflow.__file__).resolve().parent
    files = _package_files(package)
    files += [
        (f"{info}/METADATA", _metadata(dist).encode()),
        (
            f"{info}/entry_points.txt",
            (dist.read_text("entry_points.txt") or _ENTRY_POINTS).encode(),
        ),
        (f"{info}/top_level.txt", b"hyperflow\n"),
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: hyperflow build\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n",
        ),
    ]
    record = "".join(f"{arc},sha256={_digest(data)},{len(data)}\n" for arc, data in files)
    files.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    path = folder / f"hyperflow-{version}-py3-none-any.whl"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, data in files:
            entry = zipfile.ZipInfo(arc, _EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data)
    return path

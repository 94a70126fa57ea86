"""Temporary files of writers killed with ``kill -9``, damaged blobs, and blob permissions.

A writer is really killed: a subprocess SIGKILLs itself at the ``os.rename``
audit event, i.e. after writing its temporary file and before renaming it into
place — nothing of it runs afterwards, as after ``kill -9``.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hyperflow.engine import DiskCache, fingerprint
from hyperflow.store import FileArtifactStore

SRC = str(Path(__file__).resolve().parents[2] / "src")

KILLED_AT_RENAME = """
import os, signal, sys

def _hook(event, args):
    if event == "os.rename":  # os.replace too; only the renames of our temporary files
        name = os.path.basename(os.fsdecode(args[0]))
        if name.startswith(".tmp-") or name.endswith(".tmp"):
            os.kill(os.getpid(), signal.SIGKILL)

sys.addaudithook(_hook)
"""


def _killed_writer(tmp_path: Path, body: str) -> None:
    script = KILLED_AT_RENAME + textwrap.dedent(body)
    env = dict(
        os.environ,
        PYTHONPATH=SRC,
        PYTHONDONTWRITEBYTECODE="1",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == -signal.SIGKILL


def _age(root: Path, seconds: float) -> None:
    """Let ``seconds`` pass for every file under ``root`` (their mtime goes back)."""
    then = time.time() - seconds
    for p in root.rglob("*"):
        os.utime(p, (then, then))


def _temps(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.name.startswith(".tmp-")]


@pytest.mark.slow
def test_artifact_temp_file_of_a_killed_writer_is_removed_on_open(tmp_path: Path) -> None:
    root = tmp_path / "arts"
    _killed_writer(
        tmp_path,
        f"""
        from hyperflow.store import FileArtifactStore
        FileArtifactStore({str(root)!r}).put(b"x" * 5_000_000)
        """,
    )
    left = _temps(root)
    assert len(left) == 1 and left[0].stat().st_size == 5_000_000
    FileArtifactStore(str(root))  # a fresh temporary file may be a live writer's: kept
    assert _temps(root) == left
    _age(root, 2 * 3600)
    store = FileArtifactStore(str(root))  # opened two hours later
    assert _temps(root) == []
    digest = store.put(b"x" * 5_000_000)
    assert store.get(digest) == b"x" * 5_000_000


@pytest.mark.slow
def test_cache_temp_file_of_a_killed_writer_counts_and_goes(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    _killed_writer(
        tmp_path,
        f"""
        from hyperflow.engine import DiskCache
        DiskCache({str(folder)!r}).save("ab" * 16, b"x" * 3_000_000, "00" * 16)
        """,
    )
    left = [p for p in folder.rglob("*.tmp")]
    assert len(left) == 1 and left[0].stat().st_size > 3_000_000
    cache = DiskCache(folder, max_bytes=10**9)
    assert len(cache) == 0 and cache.total_bytes() == left[0].stat().st_size  # it counts
    cache.clear()
    assert list(folder.rglob("*.tmp")) == [] and cache.total_bytes() == 0


def test_stale_cache_temp_files_go_on_eviction_and_on_open(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    assert DiskCache(folder).save("ab" * 16, 1, fingerprint(1))
    DiskCache(folder).lookup("ab" * 16)  # a process opens the cache (and sweeps: nothing yet)
    dead = folder / "ab" / f".{'ab' * 16}.dead.tmp"  # then a writer is killed
    dead.write_bytes(b"x" * 30_000)
    then = time.time() - 2 * 3600
    os.utime(dead, (then, then))
    fresh = folder / "ab" / f".{'ab' * 16}.live.tmp"  # and another one is busy right now
    fresh.write_bytes(b"x" * 100)
    cache = DiskCache(folder, max_bytes=20_000)  # opened within the hour: no sweep yet
    assert dead.exists() and cache.total_bytes() > 30_000
    assert cache.save("cd" * 16, 2, fingerprint(2))  # over the limit: evicts, stale temp first
    assert not dead.exists() and fresh.exists()
    assert cache.load("ab" * 16) == 1 and cache.load("cd" * 16) == 2
    dead.write_bytes(b"x")
    _age(folder, 2 * 3600)
    DiskCache(folder).lookup("ab" * 16)  # opening sweeps (at most once an hour)
    assert not dead.exists() and not fresh.exists()


def test_a_damaged_blob_is_replaced_by_the_next_put(tmp_path: Path) -> None:
    store = FileArtifactStore(str(tmp_path / "arts"))
    digest = store.put(b"model bytes" * 1000)
    path = Path(store.path_of(digest))
    for damage in (path.read_bytes()[:-5], b"Model bytes" + path.read_bytes()[11:]):
        path.write_bytes(damage)  # truncated, then the same size with other bytes
        assert store.put(b"model bytes" * 1000) == digest
        assert store.get(digest) == b"model bytes" * 1000
    path.unlink()
    store.put(b"model bytes" * 1000)
    assert store.get(digest) == b"model bytes" * 1000


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_blob_permissions_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        digest = FileArtifactStore(str(tmp_path / "arts")).put(b"shared with the server")
    finally:
        os.umask(old)
    path = FileArtifactStore(str(tmp_path / "arts")).path_of(digest)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode

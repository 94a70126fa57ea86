"""Temporary files left by writers that died (``kill -9``, power loss) before renaming them.

The disk cache and the local artifact store both write to a temporary file in
the destination folder and rename it into place. A writer killed in between
leaves the temporary file behind; these helpers find such files and remove
the stale ones (older than a grace period, so a live writer is never
disturbed). Stdlib only: the engine and the store share it.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator

__all__ = ["TEMP_GRACE_S", "files_in", "remove_stale", "sweep_now_and_then"]

TEMP_GRACE_S = 3600.0
"""A temporary file untouched for this long belongs to a writer that is gone."""


def files_in(
    folders: Iterator[str] | list[str], wanted: Callable[[str], bool]
) -> Iterator[tuple[int, int, str]]:
    """``(mtime_ns, size, path)`` of the files directly inside ``folders`` whose name is wanted."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for e in entries:
            if not wanted(e.name):
                continue
            try:
                st = e.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            yield st.st_mtime_ns, st.st_size, e.path


def remove_stale(
    found: Iterator[tuple[int, int, str]] | list[tuple[int, int, str]],
    grace_s: float = TEMP_GRACE_S,
) -> tuple[int, int]:
    """Remove the files of ``found`` older than ``grace_s``; ``(files, bytes)`` removed."""
    cutoff = time.time_ns() - int(grace_s * 1e9)
    files = size = 0
    for mtime, nbytes, path in found:
        if mtime > cutoff:
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            files += 1
            size += nbytes
    return files, size


def sweep_now_and_then(marker: str, sweep: Callable[[], object], every_s: float) -> bool:
    """Run ``sweep`` unless ``marker`` was touched less than ``every_s`` ago; touch it.

    One ``stat`` when nothing is due, so opening a store stays cheap; a marker
    that cannot be written (a read-only store) just means sweeping every time.
    """
    try:
        if time.time() - os.stat(marker).st_mtime < every_s:
            return False
    except OSError:
        pass
    sweep()
    with contextlib.suppress(OSError):
        with open(marker, "ab"):
            pass
        os.utime(marker)
    return True

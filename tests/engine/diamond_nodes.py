"""A diamond whose two branches must run at the same time, importable by process and Dask workers.

``left`` and ``right`` take an optional ``meet`` folder. Given one, each branch
marks that it started and then waits (polling, with a generous timeout) until
the other branch has started too: they can only both finish when an executor
runs them concurrently. Run one after the other, the first branch times out
and the run fails, so a test using ``meet`` cannot pass by luck on a slow or
loaded machine, and cannot pass when the overlap is gone.
"""

from __future__ import annotations

import time
from pathlib import Path

import hyperflow as hf

MEET_TIMEOUT_S = 60.0  # generous: only a broken executor ever waits this long


def _meet(folder: str | None, me: str, other: str) -> None:
    if folder is None:
        return
    Path(folder, f"{me}.started").touch()
    deadline = time.monotonic() + MEET_TIMEOUT_S
    while not Path(folder, f"{other}.started").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{me!r} waited {MEET_TIMEOUT_S:.0f} s for {other!r} to start: "
                "the branches did not run concurrently"
            )
        time.sleep(0.005)  # polling a condition, not timing


def source(x: int) -> list[int]:
    return list(range(x))


def left(source: list[int], meet: str | None = None) -> int:
    _meet(meet, "left", "right")
    return sum(source)


def right(source: list[int], meet: str | None = None) -> int:
    _meet(meet, "right", "left")
    return max(source) * 7


def sink(left: int, right: int) -> dict[str, int]:
    return {"left": left, "right": right}


diamond = hf.Pipeline([source, left, right, sink], name="diamond")

"""A diamond of sleeping nodes, importable by process and Dask workers."""

from __future__ import annotations

import time

import hyperflow as hf

SHORT = 0.1
LONG = 1.0
LONGEST_PATH = SHORT + LONG + SHORT  # source -> one branch -> sink
SERIAL = SHORT + 2 * LONG + SHORT


def source(x: int) -> list[int]:
    time.sleep(SHORT)
    return list(range(x))


def left(source: list[int]) -> int:
    time.sleep(LONG)
    return sum(source)


def right(source: list[int]) -> int:
    time.sleep(LONG)
    return max(source) * 7


def sink(left: int, right: int) -> dict[str, int]:
    time.sleep(SHORT)
    return {"left": left, "right": right}


diamond = hf.Pipeline([source, left, right, sink], name="diamond")

"""Reference statistics, accumulated chunk by chunk in bounded memory.

Numeric columns keep a uniform random sample of at most ``capacity`` rows
(bottom-k of a random key per row, so chunks of any size merge into the same
distribution as one pass over all rows), plus exact counts of rows, NaNs and
infinities. Categorical columns keep exact category counts. Embedding columns
keep a smaller uniform sample of vectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from hyperflow._errors import MonitorError
from hyperflow.monitor._columns import Kind, label_counts, native_numbers, to_matrix

__all__ = ["ColumnProfile", "FloatArray", "ReferenceBuilder", "Reservoir"]

FloatArray = npt.NDArray[np.float64]


@dataclass
class Reservoir:
    """Uniform sample without replacement of at most ``capacity`` rows."""

    capacity: int
    keys: FloatArray = field(default_factory=lambda: np.empty(0))
    values: FloatArray = field(default_factory=lambda: np.empty((0, 0)))

    @property
    def cutoff(self) -> float:
        """Rows with a key at or above this cannot enter the sample any more."""
        return float(self.keys.max()) if self.keys.size >= self.capacity else np.inf

    def add(self, keys: FloatArray, values: FloatArray) -> None:
        """Merge rows (``values`` is rows x width) with their random keys."""
        if self.keys.size:
            keys = np.concatenate([self.keys, keys])
            values = np.concatenate([self.values, values], axis=0)
        if keys.size > self.capacity:
            keep = np.argpartition(keys, self.capacity - 1)[: self.capacity]
            keys, values = keys[keep], values[keep]
        self.keys, self.values = keys, values


@dataclass
class ColumnProfile:
    """What the detector remembers of one reference column."""

    name: str
    kind: Kind
    n_rows: int = 0
    n_nan: int = 0
    n_inf: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    sample: FloatArray = field(default_factory=lambda: np.empty(0))
    vectors: FloatArray = field(default_factory=lambda: np.empty((0, 0)))

    @property
    def n_finite(self) -> int:
        """Rows with a usable value."""
        return self.n_rows - self.n_nan - self.n_inf


class ReferenceBuilder:
    """Accumulates :class:`ColumnProfile` objects over chunks of a reference table."""

    def __init__(self, kinds: dict[str, Kind], capacity: int, vec_capacity: int, seed: int):
        self.kinds = kinds
        self.profiles = {n: ColumnProfile(n, k) for n, k in kinds.items()}
        self.numeric = [n for n, k in kinds.items() if k == "numeric"]
        self.numbers = Reservoir(capacity)
        self.vecs = {n: Reservoir(vec_capacity) for n, k in kinds.items() if k == "embedding"}
        self.rng = np.random.default_rng(seed)

    def add(self, cols: dict[str, Any]) -> None:
        """Add one chunk (name → column) whose columns match the first chunk's."""
        missing = [n for n in self.kinds if n not in cols]
        if missing:
            raise MonitorError(
                f"a reference chunk lacks columns {missing}; every chunk must have the "
                "columns of the first one."
            )
        size = len(next(iter(cols.values()))) if cols else 0
        keys = self.rng.random(size)
        if self.numeric:
            # Only rows whose key beats the current sample's largest can enter it.
            enter = keys < self.numbers.cutoff
            block = np.empty((int(enter.sum()), len(self.numeric)))
            for j, name in enumerate(self.numeric):
                vals = native_numbers(cols[name])
                if vals is None:
                    raise MonitorError(
                        f"reference column {name!r} was numeric in the first chunk but holds "
                        "non-numbers later; declare it with categorical=[...]."
                    )
                self._count(name, vals)
                block[:, j] = vals[enter]
            self.numbers.add(keys[enter], block)
        for name, kind in self.kinds.items():
            prof = self.profiles[name]
            if kind == "categorical":
                counts, n_missing = label_counts(cols[name])
                for k, v in counts.items():
                    prof.counts[k] = prof.counts.get(k, 0) + v
                prof.n_rows += size
                prof.n_nan += n_missing
            elif kind == "embedding":
                mat = to_matrix(cols[name], name)
                if mat is None:
                    raise MonitorError(
                        f"embedding column {name!r} must hold equal-length numeric vectors."
                    )
                ok = np.isfinite(mat).all(axis=1) if mat.size else np.zeros(size, bool)
                prof.n_rows += size
                prof.n_nan += int(size - ok.sum())
                self.vecs[name].add(keys[ok], mat[ok])

    def _count(self, name: str, vals: npt.NDArray[Any]) -> None:
        prof = self.profiles[name]
        prof.n_rows += vals.size
        if vals.dtype.kind == "f":
            prof.n_nan += int(np.isnan(vals).sum())
            prof.n_inf += int(np.isinf(vals).sum())

    def finish(self) -> dict[str, ColumnProfile]:
        """Sorted finite samples per numeric column, vectors per embedding column."""
        for j, name in enumerate(self.numeric):
            vals = self.numbers.values[:, j] if self.numbers.values.size else np.empty(0)
            vals = vals[np.isfinite(vals)]
            vals.sort()
            self.profiles[name].sample = vals
        for name, res in self.vecs.items():
            self.profiles[name].vectors = res.values
        return self.profiles

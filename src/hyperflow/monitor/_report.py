"""Drift reports: per-column results, the dataset verdict, JSON and HTML.

JSON schema ``hyperflow.drift/1`` (keys are stable; new keys may be added)::

    {
      "schema": "hyperflow.drift/1",
      "drifted": bool,            # share_drifted >= drift_share
      "share_drifted": float,     # n_drifted / n_tested
      "n_drifted": int, "n_tested": int,
      "alpha": float, "correction": "none" | "bonferroni" | "fdr",
      "drift_share": float,
      "n_reference": int, "n_current": int,      # rows
      "missing_columns": [str],   # in the reference, absent from the current data
      "extra_columns": [str],     # in the current data, absent from the reference
      "columns": {                # sorted by severity, most severe first
        name: {
          "role": "feature" | "target" | "prediction",
          "kind": "numeric" | "categorical" | "embedding",
          "test": "ks" | "wasserstein" | "psi" | "chi2" | "jensenshannon" | "mmd" | null,
          "reason": str,          # why this test (method="auto" says what it picked)
          "statistic": float | null,
          "p_value": float | null, "p_value_adjusted": float | null,
          "score": float | null,  # adjusted p-value for p-value tests, else the distance
          "threshold": float,     # alpha for p-value tests, else the distance threshold
          "drifted": bool,
          "severity": float | null,  # > 1 means past the threshold; null = schema problem
          "status": "ok" | "constant" | "empty" | "empty_reference" |
                    "missing_in_current" | "missing_in_reference" | "type_mismatch",
          "n_reference": int, "n_current": int,  # usable (finite) values
          "nan_rate": float, "inf_rate": float,  # in the current window
          "reference_nan_rate": float, "reference_inf_rate": float,
          "missing_rate_drifted": bool,  # the NaN/inf rate itself changed
          "summary": {"labels": [str], "reference": [float], "current": [float]}
        }
      }
    }

``summary`` holds binned shares only (histogram bins or top categories), never
raw rows.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA", "ColumnDrift", "DriftReport"]

SCHEMA = "hyperflow.drift/1"


@dataclass
class ColumnDrift:
    """Drift result of one column (see the module docstring for every field)."""

    name: str
    kind: str
    role: str = "feature"
    test: str | None = None
    reason: str = ""
    statistic: float | None = None
    p_value: float | None = None
    p_value_adjusted: float | None = None
    score: float | None = None
    threshold: float = 0.0
    drifted: bool = False
    severity: float = 0.0
    status: str = "ok"
    n_reference: int = 0
    n_current: int = 0
    nan_rate: float = 0.0
    inf_rate: float = 0.0
    reference_nan_rate: float = 0.0
    reference_inf_rate: float = 0.0
    missing_rate_drifted: bool = False
    summary: dict[str, list[Any]] = field(default_factory=dict)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


@dataclass
class DriftReport:
    """Result of comparing a current window with the reference.

    Example:
        >>> import numpy as np, pandas as pd
        >>> import hyperflow as hf
        >>> rng = np.random.default_rng(0)
        >>> ref = pd.DataFrame({"x": rng.normal(size=300)})
        >>> cur = pd.DataFrame({"x": rng.normal(1.0, 1.0, size=300)})
        >>> rep = hf.monitor.drift(ref, cur)
        >>> rep.drifted, rep.columns["x"].test
        (True, 'ks')
        >>> rep.to_dict()["schema"]
        'hyperflow.drift/1'
    """

    columns: dict[str, ColumnDrift]
    alpha: float
    correction: str
    drift_share: float
    n_reference: int
    n_current: int
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)

    @property
    def tested(self) -> list[ColumnDrift]:
        """Columns that could be tested (status ``ok`` or ``constant``)."""
        return [c for c in self.columns.values() if c.status in ("ok", "constant")]

    @property
    def n_drifted(self) -> int:
        """Number of drifted columns."""
        return sum(c.drifted for c in self.tested)

    @property
    def share_drifted(self) -> float:
        """Share of tested columns that drifted (0.0 when none could be tested)."""
        tested = self.tested
        return self.n_drifted / len(tested) if tested else 0.0

    @property
    def drifted(self) -> bool:
        """Dataset verdict: ``share_drifted >= drift_share`` with at least one drifted column."""
        return self.n_drifted > 0 and self.share_drifted >= self.drift_share

    @property
    def drifted_columns(self) -> list[str]:
        """Names of the drifted columns, most severe first."""
        return [c.name for c in self.columns.values() if c.drifted]

    def role(self, role: str) -> dict[str, ColumnDrift]:
        """Columns of one role: ``"feature"``, ``"target"`` or ``"prediction"``."""
        return {n: c for n, c in self.columns.items() if c.role == role}

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data (schema ``hyperflow.drift/1``)."""
        out: dict[str, Any] = _clean(
            {
                "schema": SCHEMA,
                "drifted": self.drifted,
                "share_drifted": self.share_drifted,
                "n_drifted": self.n_drifted,
                "n_tested": len(self.tested),
                "alpha": self.alpha,
                "correction": self.correction,
                "drift_share": self.drift_share,
                "n_reference": self.n_reference,
                "n_current": self.n_current,
                "missing_columns": list(self.missing_columns),
                "extra_columns": list(self.extra_columns),
                "columns": {n: asdict(c) for n, c in self.columns.items()},
            }
        )
        return out

    def to_json(self, path: str | Path | None = None, *, indent: int | None = None) -> str:
        """Serialize to JSON; also write it to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, text: str) -> DriftReport:
        """Rebuild a report from :meth:`to_json` output."""
        data = json.loads(text)
        cols = {}
        for name, entry in data["columns"].items():
            entry = {k: v for k, v in entry.items() if k in ColumnDrift.__dataclass_fields__}
            if entry.get("severity") is None:
                entry["severity"] = math.inf
            cols[name] = ColumnDrift(**entry)
        return cls(
            columns=cols,
            alpha=data["alpha"],
            correction=data["correction"],
            drift_share=data["drift_share"],
            n_reference=data["n_reference"],
            n_current=data["n_current"],
            missing_columns=data["missing_columns"],
            extra_columns=data["extra_columns"],
        )

    def to_html(self, path: str | Path | None = None) -> str:
        """One self-contained HTML page (inline SVG, no scripts or CDN); write it to ``path``."""
        from hyperflow.monitor._html import render_html

        text: str = render_html(self)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def summary(self) -> str:
        """A few lines for a terminal or a log."""
        lines = [
            f"drift: {'YES' if self.drifted else 'no'} — {self.n_drifted}/{len(self.tested)} "
            f"columns drifted (share {self.share_drifted:.2f}, threshold {self.drift_share})"
        ]
        for c in self.columns.values():
            if c.drifted or c.status not in ("ok", "constant") or c.missing_rate_drifted:
                score = "n/a" if c.score is None else f"{c.score:.3g}"
                lines.append(f"  {c.name}: {c.test} score={score} status={c.status}")
        if self.missing_columns:
            lines.append(f"  missing in current: {', '.join(self.missing_columns)}")
        if self.extra_columns:
            lines.append(f"  not in reference: {', '.join(self.extra_columns)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"DriftReport(drifted={self.drifted}, share_drifted={self.share_drifted:.3f}, "
            f"columns={len(self.columns)})"
        )

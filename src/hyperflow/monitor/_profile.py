"""Reference profiles: a model version's fitted drift detector, stored by value.

``hf.registry.register(..., reference=...)`` hands the reference data to
:func:`fit_profile` through ``hyperflow._reference_hook`` (top-level wiring, like
``hyperflow._runner``; the registry package never imports monitoring). Without a stored
profile, the first ``N`` logged predictions of a version become its reference
(``[tool.hyperflow.monitor] reference_rows``).
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from hyperflow._errors import MonitorError
from hyperflow.monitor._config import MonitorConfig, monitor_config
from hyperflow.monitor._detector import DriftDetector
from hyperflow.store import ReferenceProfile, get_monitor_store

__all__ = ["detector_from_bytes", "fit_profile", "flatten_inputs", "profile_version"]


def _detector(cfg: MonitorConfig) -> DriftDetector:
    return DriftDetector(
        target="target", prediction="prediction", alpha=cfg.alpha, correction=cfg.correction,
        drift_share=cfg.drift_share, categorical=cfg.categorical, reference_size=10_000,
    )


def _reference_frame(data: Any, fields: Sequence[str] | None, cfg: MonitorConfig) -> pd.DataFrame:
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    frame = frame.rename(columns={c: str(c) for c in frame.columns})
    keep = [f for f in (fields or []) if f in frame.columns]
    if not keep:  # one structured request field (a TypedDict row): use the table's columns
        keep = [c for c in frame.columns if c not in (cfg.target, cfg.prediction)]
    keep = [c for c in keep if c not in cfg.exclude]
    out = frame[keep].copy()
    for role, col in (("target", cfg.target), ("prediction", cfg.prediction)):
        if col and col in frame.columns:
            out[role] = frame[col].to_numpy()
    if out.empty or not len(out.columns):
        raise MonitorError(
            f"the reference has no usable rows or columns (fields {list(fields or [])}, "
            f"columns {list(frame.columns)}); pass the training rows as a DataFrame"
        )
    return out


def fit_profile(data: Any, fields: Sequence[str] | None) -> tuple[bytes, list[str], int]:
    """Fit the configured drift detector on ``data``: (``.npz`` bytes, columns, rows)."""
    cfg = monitor_config()
    frame = _reference_frame(data, fields, cfg)
    det = _detector(cfg).fit(frame)
    buf = io.BytesIO()
    det.save(buf)
    return buf.getvalue(), [str(c) for c in frame.columns], len(frame)


def detector_from_bytes(data: bytes) -> DriftDetector:
    """The detector stored in a profile (no pickle: ``allow_pickle=False``)."""
    return DriftDetector.load(io.BytesIO(data))


def profile_version(
    name: str, version: str, reference: Any, *, fields: Sequence[str] | None = None,
    source: str = "given", store: Any = None,
) -> ReferenceProfile:
    """Fit and store the reference profile of ``name:version`` from ``reference``.

    Example:
        >>> import tempfile, pandas as pd
        >>> url = f"sqlite:///{tempfile.mkdtemp()}/m.db"
        >>> p = profile_version("m", "1.0.0", pd.DataFrame({"x": [1.0, 2.0, 3.0]}), store=url)
        >>> p.fields, p.n_rows
        (['x'], 3)
    """
    data, cols, rows = fit_profile(reference, fields)
    profile = ReferenceProfile(name, version, data, cols, rows, source, time.time())
    get_monitor_store(store).save_reference(profile)
    return profile


def flatten_inputs(rows: Sequence[Any]) -> pd.DataFrame:
    """Logged request inputs as columns; one structured field (``{"day": {...}}``) is unpacked."""
    flat: list[Mapping[str, Any]] = []
    for r in rows:
        if isinstance(r, Mapping) and len(r) == 1:
            (only,) = r.values()
            flat.append(only if isinstance(only, Mapping) else r)
        else:
            flat.append(r if isinstance(r, Mapping) else {"input": r})
    return pd.DataFrame.from_records(flat)


"""Wiring between the registry and monitoring: fit a version's drift reference profile.

Like ``hyperflow._runner`` (which lets the core's ``Pipeline.run`` reach the engine), this
top-level module sits outside the layers: ``hf.registry.register(..., reference=...)``
calls it, and it imports ``hyperflow.monitor`` only when a reference is given, so the
registry package itself never imports monitoring.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["fit_reference"]


def fit_reference(data: Any, fields: Sequence[str] | None) -> tuple[bytes, list[str], int]:
    """Fit the configured drift detector on ``data``: (``.npz`` bytes, columns, rows)."""
    from hyperflow.monitor._profile import fit_profile

    return fit_profile(data, fields)

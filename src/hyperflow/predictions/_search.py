"""``search``: served predictions of a model as a DataFrame, feedback joined."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hyperflow._errors import ServeError
from hyperflow.store import PredictionLog, get_prediction_log

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["search"]


def _utc(value: datetime | str | None, what: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ServeError(
                f"{what} must be a datetime or an ISO 8601 string like '2026-01-31T12:00', "
                f"but got {value!r}"
            ) from None
    if not isinstance(value, datetime):
        raise ServeError(f"{what} must be a datetime or an ISO string, but got {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def search(
    name: str,
    version: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    limit: int | None = None,
    *,
    log: str | PredictionLog | None = None,
) -> pd.DataFrame:
    """Predictions served for model ``name``, one row each, oldest first.

    Columns: ``request_id``, ``model``, ``version``, ``timestamp`` (UTC),
    ``latency_ms``, ``inputs`` (the row), ``output``, ``ground_truth``,
    ``feedback_at`` (``None`` and ``NaT`` without feedback), ``arm`` (``None`` without a
    traffic policy, else ``primary``, ``canary`` or ``shadow``) and ``status`` (the HTTP
    status: failed predictions are rows too).

    Args:
        name: the model's name.
        version: only this version.
        since: from this time on (inclusive; naive datetimes are UTC).
        until: before this time (exclusive).
        limit: at most this many, the most recent ones.
        log: the prediction log to read (default: the one serving writes to).

    Example:
        >>> import hyperflow as hf
        >>> hf.predictions.search("never-served", log="memory://").shape
        (0, 11)
    """
    if limit is not None and limit < 0:
        raise ServeError(f"limit must be >= 0 or None, but got {limit}")
    return get_prediction_log(log).search(
        name,
        version=version,
        since=_utc(since, "since"),
        until=_utc(until, "until"),
        limit=limit,
    )

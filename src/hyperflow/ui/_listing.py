"""The runs table: filter, sort, column choice and pages, all done by the store (SQL)."""

from __future__ import annotations

import difflib
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from hyperflow.store import MetadataStore, QueryError, RunRecord, parse_where, where_keys

__all__ = [
    "ATTRIBUTE_COLUMNS",
    "COUNT_AT_MOST",
    "DEFAULT_PAGE_SIZE",
    "KEYS_TTL_S",
    "MAX_PAGE_SIZE",
    "KnownKeys",
    "Listing",
    "cell",
    "list_runs",
    "sort_field",
]

ATTRIBUTE_COLUMNS = ("name", "status", "pipeline", "start_time", "duration_s", "run_id")
DEFAULT_PAGE_SIZE = 50
KEYS_TTL_S = 10.0
COUNT_AT_MOST = 1_000  # a filtered count stops here ("1,000+"); unfiltered counts are exact
MAX_PAGE_SIZE = 500
_SORTABLE = {"name", "status", "pipeline", "start_time", "end_time", "run_id"}
_DEFAULT_KEYS = 5  # metrics and params shown when no column is chosen
_log = logging.getLogger("hyperflow.ui")


@dataclass
class Listing:
    """One page of runs and what the page needs to draw its controls."""

    runs: list[RunRecord]
    total: int
    page: int
    size: int
    columns: list[str]
    available: list[str]
    order: str
    where: str
    error: str | None = None
    keys: dict[str, list[str]] = field(default_factory=dict)
    capped: bool = False  # total is a lower bound: counting stopped at COUNT_AT_MOST

    @property
    def pages(self) -> int:
        """How many pages the filter's runs fill (at least one)."""
        return max(1, -(-self.total // self.size))


class KnownKeys:
    """The metric, param and tag keys of a store, read again at most every ``ttl_s``.

    Listing the keys reads an index of every run's values; the table needs them on
    every page, and they change rarely. The first read waits; later ones get the keys
    at hand at once while a stale set is read again in a background thread.
    """

    def __init__(self, store: MetadataStore, ttl_s: float = KEYS_TTL_S) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._keys: dict[str, list[str]] | None = None
        self._at = -math.inf
        self._lock = threading.Lock()
        self._refreshing = False

    def _read(self) -> dict[str, list[str]]:
        return {k: self._store.known_keys(k) for k in ("metrics", "params", "tags")}

    def get(self) -> dict[str, list[str]]:
        """``{"metrics": [...], "params": [...], "tags": [...]}``, sorted."""
        with self._lock:
            if self._keys is None:
                self._keys, self._at = self._read(), time.monotonic()
            elif time.monotonic() - self._at > self._ttl_s and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="hf-ui-keys", daemon=True).start()
            return self._keys

    def _refresh(self) -> None:
        try:
            keys = self._read()
        except Exception as exc:  # a failed refresh keeps the keys at hand; the next retries
            _log.warning("dashboard: reading the store's keys failed: %s", exc)
            keys = None
        with self._lock:
            if keys is not None:
                self._keys = keys
            self._at, self._refreshing = time.monotonic(), False


def _check_keys(where: str, keys: dict[str, list[str]]) -> None:
    for kind, key in where_keys(parse_where(where)):
        if kind != "tags" and key not in keys[kind]:
            close = difflib.get_close_matches(key, keys[kind], n=1, cutoff=0.5)
            hint = f"; did you mean {kind}.{close[0]}?" if close else ""
            raise QueryError(f"no run in this store has {kind[:-1]} {key!r}{hint}")


def _columns(chosen: list[str], available: list[str], keys: dict[str, list[str]]) -> list[str]:
    picked = [c for c in chosen if c in available]
    if picked:
        return picked
    return [
        *ATTRIBUTE_COLUMNS[:5],
        *(f"metrics.{k}" for k in keys["metrics"][:_DEFAULT_KEYS]),
        *(f"params.{k}" for k in keys["params"][:_DEFAULT_KEYS]),
    ]


def sort_field(order: str) -> str:
    """The store's field for a column's sort (``duration_s`` sorts by ``end_time``)."""
    desc = order.startswith("-")
    name = order.lstrip("-")
    name = "end_time" if name == "duration_s" else name
    return ("-" if desc else "") + name


def _valid_order(order: str, available: list[str]) -> str:
    name = order.lstrip("-")
    if name in _SORTABLE or name == "duration_s" or name in available:
        return order
    raise QueryError(f"cannot sort by {name!r}: choose a column of the table")


def list_runs(
    store: MetadataStore,
    *,
    where: str = "",
    order: str = "",
    columns: list[str] | None = None,
    page: int = 1,
    size: int = DEFAULT_PAGE_SIZE,
    keys: KnownKeys | None = None,
) -> Listing:
    """A page of the runs ``where`` selects, sorted by ``order`` (``-`` for descending).

    A bad filter or sort comes back as ``Listing.error`` with an empty page.
    """
    keys_now = (keys or KnownKeys(store)).get()
    available = [
        *ATTRIBUTE_COLUMNS,
        *(f"{kind}.{k}" for kind in ("metrics", "params", "tags") for k in keys_now[kind]),
    ]
    size = min(max(1, size), MAX_PAGE_SIZE)
    page = max(1, page)
    listing = Listing([], 0, page, size, _columns(columns or [], available, keys_now),
                      available, order, where.strip(), keys=keys_now)
    try:
        if listing.where:
            _check_keys(listing.where, keys_now)
        by: Any = sort_field(_valid_order(order, available)) if order else None
        at_most = max(COUNT_AT_MOST, page * size + 1) if listing.where else None
        listing.total = store.count_runs(where=listing.where or None, at_most=at_most)
        listing.capped = at_most is not None and listing.total >= at_most
        listing.runs = store.search_runs(
            where=listing.where or None, order_by=by, limit=size, offset=(page - 1) * size
        )
    except QueryError as exc:
        listing.error = str(exc)
    return listing


def cell(run: RunRecord, column: str) -> Any:
    """The value a run shows in ``column``."""
    head, _, key = column.partition(".")
    if head == "metrics" and key:
        return run.metrics.get(key)
    if head == "params" and key:
        return run.params.get(key)
    if head == "tags" and key:
        return run.tags.get(key)
    if column == "duration_s":
        return None if run.end_time is None else run.end_time - run.start_time
    return getattr(run, column, None)

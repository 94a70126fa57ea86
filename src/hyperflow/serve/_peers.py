"""``ReloadBroadcast``: a reload asked of one worker reaches every worker at once.

With ``serve --workers N`` a ``POST /admin/reload`` lands on whichever worker the
kernel handed the connection. That worker reloads, then bumps a counter in shared
memory (made by the supervisor, inherited by every worker it spawns, replacements
included); each worker watches the counter and replays the reload (with the same
``force``) within ``interval_s``. The counter holds ``generation * 2 + force``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

__all__ = ["ReloadBroadcast", "Reloadable"]

_log = logging.getLogger("hyperflow.serve")
DEFAULT_FOLLOW_INTERVAL_S = 0.1


class Reloadable(Protocol):
    """What a broadcast reload calls: the worker's service."""

    async def reload(self, *, force: bool = False) -> bool: ...


class ReloadBroadcast:
    """One worker's end of the shared reload counter.

    Args:
        shared: a ``multiprocessing`` ``Value("q")`` (with its lock) shared by the workers.
    """

    def __init__(self, shared: Any) -> None:
        self.shared = shared
        self.seen: int = shared.value

    def announce(self, force: bool) -> None:
        """Tell the other workers to reload (this one already did)."""
        with self.shared.get_lock():
            value = (self.shared.value // 2 + 1) * 2 + int(force)
            self.shared.value = value
        self.seen = value

    def pending(self) -> bool | None:
        """``force`` of a reload announced since the last look, or ``None``."""
        value = self.shared.value
        if value == self.seen:
            return None
        self.seen = value
        return bool(value % 2)

    async def follow(
        self, service: Reloadable, interval_s: float = DEFAULT_FOLLOW_INTERVAL_S
    ) -> None:
        """Replay every announced reload on ``service`` (runs until cancelled)."""
        while True:
            await asyncio.sleep(interval_s)
            force = self.pending()
            if force is None:
                continue
            try:
                await service.reload(force=force)
            except Exception as exc:  # the current version stays; reload() logged why
                _log.warning(
                    "hyperflow serve: a reload relayed from another worker failed: %s: %s",
                    type(exc).__name__,
                    exc,
                )

"""``MicroBatcher``: coalesce concurrent single predictions into one ``predict_many`` call.

A request waits at most ``max_wait_ms`` after the first pending one arrived,
or less once ``max_batch_size`` requests are pending. Batches run one at a
time on a worker thread; requests arriving meanwhile form the next batch, so
under load batches grow by themselves. Each caller gets its own row's result.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hyperflow.registry import Predictor

__all__ = ["MicroBatcher"]


class MicroBatcher:
    """Collects ``(predictor, row)`` submissions and runs them in batches.

    Args:
        max_batch_size: rows per pipeline call at most.
        max_wait_ms: longest wait for a batch to fill, counted from its first row.
        on_batch: called with each batch's size (for metrics).
    """

    def __init__(
        self,
        max_batch_size: int,
        max_wait_ms: float,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000.0
        self.calls = 0
        self._on_batch = on_batch
        self._pending: list[tuple[Predictor, Any, asyncio.Future[Any], float]] = []
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="hyperflow-batch")

    @property
    def pending(self) -> int:
        """Rows waiting for a batch (not yet handed to the pipeline)."""
        return len(self._pending)

    async def submit(self, predictor: Predictor, row: Any) -> Any:
        """The prediction for ``row`` (already validated), computed in some batch."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())
        fut: asyncio.Future[Any] = loop.create_future()
        self._pending.append((predictor, row, fut, time.monotonic()))
        self._arrived.set()
        if len(self._pending) >= self.max_batch_size:
            self._full.set()
        return await fut

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for *_, fut, _ in self._pending:
            if not fut.done():
                fut.set_exception(RuntimeError("the service is shutting down"))
        self._pending.clear()
        self._executor.shutdown(wait=False)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._pending:
                self._arrived.clear()
                await self._arrived.wait()
            left = self._pending[0][3] + self.max_wait_s - time.monotonic()
            if len(self._pending) < self.max_batch_size and left > 0:
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), left)
            batch = self._pending[: self.max_batch_size]
            del self._pending[: self.max_batch_size]
            if len(self._pending) >= self.max_batch_size:
                self._full.set()
            # one pipeline call per predictor (several only right after a reload)
            groups: dict[int, list[tuple[Predictor, Any, asyncio.Future[Any], float]]] = {}
            for item in batch:
                groups.setdefault(id(item[0]), []).append(item)
            for items in groups.values():
                await self._call(loop, items)

    async def _call(
        self,
        loop: asyncio.AbstractEventLoop,
        items: list[tuple[Predictor, Any, asyncio.Future[Any], float]],
    ) -> None:
        predictor = items[0][0]
        rows = [it[1] for it in items]
        self.calls += 1
        if self._on_batch is not None:
            self._on_batch(len(rows))
        try:
            results = await loop.run_in_executor(self._executor, _predict_many, predictor, rows)
        except Exception as exc:
            if len(items) > 1:  # isolate the failing row: the others still get results
                for it in items:
                    await self._call(loop, [it])
                return
            if not items[0][2].done():
                items[0][2].set_exception(exc)
            return
        for it, value in zip(items, results, strict=True):
            if not it[2].done():
                it[2].set_result(value)


def _predict_many(predictor: Predictor, rows: list[Any]) -> list[Any]:
    return predictor.predict_many(rows, validate=False)

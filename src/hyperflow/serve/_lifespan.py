"""The lifespan every served app shares: the prediction log's writer, the reload poll, the
frozen heap and the ``ready`` flag, around what each app starts and stops itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from hyperflow.serve._metrics import ServeMetrics
from hyperflow.serve._service import freeze_heap, thaw_heap
from hyperflow.serve._writer import LogWriter
from hyperflow.store import PredictionLog

__all__ = ["Served", "lifespan_of"]

Lifespan = Callable[[Any], contextlib.AbstractAsyncContextManager[None]]


class Served(Protocol):
    """What the lifespan needs of an app's service (``Service``, ``EndpointsService``)."""

    metrics: ServeMetrics
    writer: LogWriter | None
    ready: bool

    async def poll(self, interval_s: float) -> None: ...


def lifespan_of(
    service: Served,
    log: PredictionLog,
    *,
    log_queue_size: int,
    poll_s: float | None,
    start: Callable[[], None],
    stop: Callable[[], Awaitable[None]],
) -> Lifespan:
    """The app's lifespan.

    At start: the log writer (a database log written by its own process), then ``start``
    (the app's batchers), the alias poll every ``poll_s`` seconds (``None``: no poll),
    the heap frozen, ``ready``. At stop, in reverse: not ready, heap thawed, poll
    cancelled, ``stop`` (batchers drained, so their last rows reach the writer), and
    the writer flushed and closed last.
    """

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        metrics = service.metrics
        writer = LogWriter(
            log, max_queue=log_queue_size, on_drop=metrics.log_dropped.inc, process=True
        )
        writer.start()
        service.writer = writer
        start()
        poller = None
        if poll_s:
            poller = asyncio.get_running_loop().create_task(service.poll(poll_s))
        freeze_heap()  # no full GC over the model's heap mid-request (see freeze_heap)
        service.ready = True
        try:
            yield
        finally:
            thaw_heap()
            service.ready = False
            if poller is not None:
                poller.cancel()
            await stop()
            await asyncio.to_thread(writer.close)

    return lifespan

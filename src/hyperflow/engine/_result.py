"""``RunResult``: what ``Pipeline.run`` returns."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hyperflow.core import Pipeline
    from hyperflow.viz import Figure

__all__ = ["RunResult"]


class RunResult(Mapping[str, Any]):
    """The requested outputs of one run, plus what happened.

    Attributes:
        run_id: unique id of the run (also the tracking id when tracked).
        pipeline: the pipeline's name.
        config: the resolved config (every active key, defaults filled in).
        timings: wall seconds per executed node key (nested as ``"prep.clean"``).
        cache_hits: per executed node key, whether its value came from the cache.
        failed_node: the failing node key when the run failed, else ``None`` (a failed
            run raises, so this is set on results handed to hooks only, and on
            ``NodeError.result``).
        source: the ``Pipeline`` that ran (``None`` when built by hand).
    """

    __slots__ = (
        "_values",
        "cache_hits",
        "config",
        "failed_node",
        "pipeline",
        "run_id",
        "source",
        "timings",
    )

    def __init__(
        self,
        values: dict[str, Any],
        *,
        run_id: str,
        pipeline: str,
        config: dict[str, Any],
        timings: dict[str, float],
        cache_hits: dict[str, bool],
        failed_node: str | None = None,
        source: Pipeline | None = None,
    ) -> None:
        self._values = values
        self.run_id = run_id
        self.pipeline = pipeline
        self.config = config
        self.timings = timings
        self.cache_hits = cache_hits
        self.failed_node = failed_node
        self.source = source

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise KeyError(
                f"{key!r} was not requested from this run; requested outputs: {list(self._values)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return (
            f"RunResult(pipeline={self.pipeline!r}, run_id={self.run_id!r}, "
            f"outputs={list(self._values)}, nodes={len(self.timings)})"
        )

    @property
    def total_seconds(self) -> float:
        """Sum of node wall times."""
        return sum(self.timings.values())

    def visualize(self, depth: int | None = None) -> Figure:
        """The pipeline's picture with each node coloured by wall time, cache hits marked.

        On a failed run (``except hf.NodeError as e: e.result.visualize()``) the
        failing node is marked and the nodes that never ran are greyed out.
        """
        from hyperflow.viz import run_figure

        return run_figure(self, depth=depth)

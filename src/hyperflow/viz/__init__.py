"""Pictures in pure Python: pipelines and runs as layered SVG diagrams, and study plots.

No Graphviz, no browser, no network: the layout (layering, crossing reduction,
coordinate assignment) and the SVG are computed here. Every function returns
a ``Figure`` that shows itself in Jupyter and saves as ``.svg`` or ``.html``.

Example:
    >>> import hyperflow as hf
    >>> def doubled(x: int) -> int:
    ...     return 2 * x
    >>> fig = hf.Pipeline([doubled], name="tiny").visualize()
    >>> fig.svg.count('class="hf-node"')
    2
"""

from hyperflow.viz._dag import RunMarks, pipeline_figure, run_figure, view_figure
from hyperflow.viz._figure import Figure
from hyperflow.viz._layered import Box, Layered, Link, count_inversions, layered_layout
from hyperflow.viz._plots import nice_ticks, plot_history, plot_importance, plot_parallel
from hyperflow.viz._trials import Trial, as_trials, param_importance

__all__ = [
    "Box",
    "Figure",
    "Layered",
    "Link",
    "RunMarks",
    "Trial",
    "as_trials",
    "count_inversions",
    "layered_layout",
    "nice_ticks",
    "param_importance",
    "pipeline_figure",
    "plot_history",
    "plot_importance",
    "plot_parallel",
    "run_figure",
    "view_figure",
]

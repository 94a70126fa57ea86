"""``Figure``: an SVG picture that shows itself in notebooks and saves as SVG or HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hyperflow._errors import VizError
from hyperflow.viz._text import escape

__all__ = ["Figure"]

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>body{{margin:24px;background:#fff;font-family:Helvetica,Arial,sans-serif}}</style>
</head>
<body>
{svg}
</body>
</html>
"""


class Figure:
    """A picture made by ``hyperflow.viz``: self-contained SVG, no scripts, no network.

    Jupyter shows it inline (``_repr_svg_``, ``_repr_html_``, ``_repr_mimebundle_``).

    Attributes:
        svg: the SVG document as a string.
        title: a short title (also the HTML page's title).
        width: width in px.
        height: height in px.

    Example:
        >>> import hyperflow as hf
        >>> fig = hf.viz.plot_history([{"number": 0, "value": 1.0}, {"number": 1, "value": 0.5}])
        >>> sorted(fig._repr_mimebundle_())
        ['image/svg+xml', 'text/html']
    """

    __slots__ = ("height", "svg", "title", "width")

    def __init__(self, svg: str, *, title: str = "figure", width: float = 0.0, height: float = 0.0):
        self.svg = svg
        self.title = title
        self.width = width
        self.height = height

    def __repr__(self) -> str:
        return f"Figure({self.title!r}, {self.width:.0f}x{self.height:.0f})"

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_html_(self) -> str:
        return (
            f'<div class="hyperflow-figure" style="max-width:100%;overflow:auto">{self.svg}</div>'
        )

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **_: Any
    ) -> dict[str, str]:
        return {"image/svg+xml": self.svg, "text/html": self._repr_html_()}

    def to_html(self) -> str:
        """A standalone HTML page holding the picture (no external references)."""
        return _PAGE.format(title=escape(self.title), svg=self.svg)

    def save(self, path: str | Path) -> Path:
        """Write the picture to ``path``: ``.svg`` or ``.html``/``.htm`` by suffix.

        Raises:
            VizError: the suffix is neither.
        """
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix == ".svg":
            text = '<?xml version="1.0" encoding="UTF-8"?>\n' + self.svg + "\n"
        elif suffix in (".html", ".htm"):
            text = self.to_html()
        else:
            raise VizError(
                f"Figure.save writes .svg or .html files, but got {str(path)!r}; "
                f"use e.g. {p.with_suffix('.svg').name!r} or {p.with_suffix('.html').name!r}"
            )
        p.write_text(text, encoding="utf-8")
        return p

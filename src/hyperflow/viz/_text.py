"""Text metrics and escaping for SVG written without a browser or font files.

Widths come from Helvetica's AFM table (Arial shares the metrics). Labels are
written with ``textLength`` set to this estimate, so a renderer that falls
back to a wider font squeezes the glyphs instead of overflowing the box.
"""

from __future__ import annotations

from hyperflow._xml import drop_invalid_xml

__all__ = ["FONT_FAMILY", "escape", "fmt", "shorten", "text_width"]

FONT_FAMILY = "Helvetica, Arial, sans-serif"

# Helvetica advance widths (1/1000 em) for ASCII 32..126.
_WIDTHS = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
)  # fmt: skip


def text_width(text: str, size: float) -> float:
    """Estimated advance width of ``text`` at font ``size`` (px) in Helvetica/Arial.

    Example:
        >>> round(text_width("model", 12), 1)
        32.7
    """
    total = 0
    for ch in drop_invalid_xml(text):  # what escape() drops is not drawn
        o = ord(ch)
        total += _WIDTHS[o - 32] if 32 <= o < 127 else 1000
    return total * size / 1000.0


def shorten(text: str, size: float, max_width: float) -> str:
    """``text`` cut with an ellipsis so that it fits in ``max_width``.

    A text that fits exactly (up to float rounding of the box arithmetic) is kept whole.

    Example:
        >>> shorten("250.0 ms", 10, 65.13 - 24), shorten("250.0 ms", 10, 30)
        ('250.0 ms', '250.…')
    """
    max_width += 1e-6  # a box sized to the text, minus its padding, may round below it
    if text_width(text, size) <= max_width:
        return text
    while text and text_width(text + "…", size) > max_width:
        text = text[:-1]
    return text + "…"


def escape(text: str) -> str:
    """Escape ``text`` for SVG/XML character data and attribute values.

    Characters that XML cannot hold (C0/C1 controls but tab, newline and carriage
    return; lone surrogates) are dropped, so untrusted names never break the document.

    Example:
        >>> escape('a<b & "c"\x1b')
        'a&lt;b &amp; &quot;c&quot;'
    """
    return (
        drop_invalid_xml(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
    )


def fmt(v: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s

"""Rendering a model card's sections as Markdown or as a standalone, escaped HTML page."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hyperflow.registry._card import Section

__all__ = ["render_html", "render_markdown"]

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;margin:.5rem 0 1rem}"
    "td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f4f4f4}"
)


def _md_cell(text: str) -> str:
    """A table cell: pipes escaped, line breaks as ``<br>``-free spaces, HTML brackets inert."""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())


def _md_text(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(title: str, sections: list[Section]) -> str:
    """The card as GitHub-flavoured Markdown (raw HTML in values is made inert)."""
    out = [f"# {_md_text(title)}", ""]
    for s in sections:
        out += [f"## {_md_text(s.title)}", ""]
        for p in s.paragraphs:
            out += [_md_text(p), ""]
        for head, rows in s.tables:
            out.append("| " + " | ".join(_md_cell(h) for h in head) + " |")
            out.append("|" + "---|" * len(head))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def render_html(title: str, sections: list[Section]) -> str:
    """The card as one HTML page; every value is escaped (no script runs from a field)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
    ]
    for s in sections:
        parts.append(f"<section><h2>{_esc(s.title)}</h2>")
        parts += [f"<p>{_esc(p)}</p>" for p in s.paragraphs]
        for head, rows in s.tables:
            parts.append("<table><thead><tr>")
            parts += [f"<th>{_esc(h)}</th>" for h in head]
            parts.append("</tr></thead><tbody>")
            for row in rows:
                parts.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>")
            parts.append("</tbody></table>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

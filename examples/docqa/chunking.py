"""Chunking: three ways to cut documents into passages, each a variant of the node ``chunks``.

* ``fixed``: windows of ``size`` characters overlapping by ``overlap``, cut at whitespace;
* ``heading``: paragraphs grouped under their heading (Markdown ``#`` lines or
  reStructuredText-style underlined titles) up to ``max_chars``; each passage
  starts with its section title;
* ``sentences``: windows of ``window`` sentences, moving ``stride`` sentences at a time.

Sizes are ``Annotated`` search parameters, so ``optimize`` tunes them.
"""

from __future__ import annotations

import re
from typing import Annotated

import hyperflow as hf
from examples.docqa.documents import Chunk, Document

__all__ = ["fixed", "heading", "sections", "sentences", "split_sentences"]

_UNDERLINE = re.compile(r"^\s*([*=\-~^#]{3,})\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*\S)\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9*])")


def sections(text: str) -> list[tuple[str, list[str]]]:
    """Split ``text`` into ``(title, paragraphs)`` at headings; the first title may be ``""``."""
    out: list[tuple[str, list[str]]] = [("", [])]
    lines = text.splitlines()
    para: list[str] = []

    def flush() -> None:
        if any(line.strip() for line in para):
            out[-1][1].append("\n".join(para).strip())
        para.clear()

    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        md = _MD_HEADING.match(line)
        if md or (line.strip() and _UNDERLINE.match(nxt) and not _UNDERLINE.match(line)):
            flush()
            out.append((md.group(1) if md else line.strip(), []))
        elif _UNDERLINE.match(line) or not line.strip():
            flush()
        else:
            para.append(line)
    flush()
    return [(title, paras) for title, paras in out if paras]


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (whitespace collapsed), split after ``.``, ``!`` or ``?``."""
    flat = " ".join(text.split())
    return [s for s in _SENTENCE_END.split(flat) if s]


def _windows(text: str, size: int, overlap: int) -> list[tuple[int, str]]:
    step = max(1, size - overlap)
    out: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + step // 2, end)
            end = cut if cut > start else end
        piece = text[start:end].strip()
        if piece:
            out.append((start, piece))
        if end >= len(text):
            break
        nxt = max(start + 1, end - overlap)
        space = text.find(" ", nxt, end)
        start = space + 1 if 0 <= space < end else nxt
    return out


@hf.node(output="chunks", variant="fixed")
def fixed(
    documents: list[Document],
    size: Annotated[int, hf.Int(400, 1200, step=400)] = 800,
    overlap: Annotated[int, hf.Int(0, 200, step=200)] = 200,
) -> list[Chunk]:
    """Windows of ``size`` characters that overlap by ``overlap`` (cut at whitespace)."""
    if not 0 <= overlap < size:
        raise ValueError(f"0 <= overlap < size must hold, but got (overlap={overlap}, size={size})")
    return [
        Chunk(text=piece, source=doc.name, start=start)
        for doc in documents
        for start, piece in _windows(doc.text, size, overlap)
    ]


@hf.node(output="chunks", variant="heading")
def heading(
    documents: list[Document], max_chars: Annotated[int, hf.Int(800, 2400, step=800)] = 1600
) -> list[Chunk]:
    """Paragraphs grouped under their heading, at most ``max_chars`` per passage."""
    out: list[Chunk] = []
    for doc in documents:
        offset = 0
        for title, paras in sections(doc.text):
            body: list[str] = []
            for para in [*paras, ""]:
                if body and (not para or sum(map(len, body)) + len(para) > max_chars):
                    text = "\n\n".join([title, *body] if title else body)
                    out.append(Chunk(text=text, source=doc.name, start=offset, section=title))
                    offset += len(text)
                    body = []
                if para:
                    body.append(para[: max_chars * 2])
    return out


@hf.node(output="chunks", variant="sentences")
def sentences(
    documents: list[Document],
    window: Annotated[int, hf.Int(4, 8, step=4)] = 8,
    stride: Annotated[int, hf.Int(2, 4, step=2)] = 4,
) -> list[Chunk]:
    """Windows of ``window`` sentences, each starting ``stride`` sentences after the last."""
    out: list[Chunk] = []
    for doc in documents:
        sents = [
            unit
            for title, paras in sections(doc.text)
            for unit in [title, *(s for p in paras for s in split_sentences(p))]
            if unit
        ]
        for i in range(0, max(1, len(sents) - window + stride), stride):
            text = " ".join(sents[i : i + window])
            if text:
                out.append(Chunk(text=text, source=doc.name, start=i))
    return out

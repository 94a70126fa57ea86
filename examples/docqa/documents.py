"""Documents: turn an uploaded file (bytes + filename) into text, or say why not.

Plain text (``.txt``), Markdown (``.md``, ``.markdown``) and PDF (``.pdf``, via
``pypdf``) are read. Anything else, a 0-byte or oversized file, a PDF that is
encrypted or holds no extractable text, and text that is not UTF-8 raise
``DocumentError`` with a message naming the problem and the fix.
"""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass
from pathlib import PurePath

__all__ = ["MAX_BYTES", "SUPPORTED", "Chunk", "Document", "DocumentError", "parse_document"]

MAX_BYTES = 20 * 1024 * 1024
"""The largest file accepted (20 MiB)."""

SUPPORTED = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
}
"""File suffixes read, and the kind each one is read as."""


class DocumentError(ValueError):
    """An uploaded file that cannot be ingested; the message says why and what to send."""


@dataclass(frozen=True)
class Document:
    """One ingested file: its id (a content digest), name, kind and text."""

    id: str
    name: str
    kind: str
    text: str


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: its text, the document's name, offset and section title."""

    text: str
    source: str
    start: int = 0
    section: str = ""

    @functools.cached_property
    def digest(self) -> str:
        """A content address of the passage text (vectors are cached under it)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:32]


def _kind(filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED:
        accepted = ", ".join(sorted(SUPPORTED))
        raise DocumentError(
            f"unsupported file type {suffix or '(no suffix)'!r} for {filename!r}; "
            f"send one of {accepted}"
        )
    return SUPPORTED[suffix]


def _pdf_text(data: bytes, filename: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
    except (PdfReadError, ValueError, OSError) as exc:
        raise DocumentError(
            f"{filename!r} is not a readable PDF ({exc}); send a valid PDF"
        ) from exc
    if reader.is_encrypted:
        raise DocumentError(
            f"{filename!r} is an encrypted PDF; remove its password and upload it again"
        )
    pages = [(page.extract_text() or "").strip() for page in reader.pages]
    return "\n\n".join(p for p in pages if p)


def _plain_text(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{filename!r} is not UTF-8 text (byte {exc.start}); save it as UTF-8 and upload again"
        ) from exc


def parse_document(file: bytes, filename: str) -> Document:
    """Read ``file`` (the bytes of ``filename``) into a ``Document``.

    Example:
        >>> parse_document(b"# Title\\n\\nHello.", "note.md").kind
        'markdown'
    """
    if not filename or not filename.strip():
        raise DocumentError("a filename is required (its suffix says how to read the file)")
    kind = _kind(filename)
    if len(file) == 0:
        raise DocumentError(f"{filename!r} is empty (0 bytes); send a file with content")
    if len(file) > MAX_BYTES:
        raise DocumentError(
            f"{filename!r} has {len(file)} bytes, more than the limit of {MAX_BYTES}; "
            "split it into smaller files"
        )
    text = _pdf_text(file, filename) if kind == "pdf" else _plain_text(file, filename)
    if not text.strip():
        what = "no extractable text (a scanned PDF?)" if kind == "pdf" else "only whitespace"
        raise DocumentError(f"{filename!r} holds {what}; send a file with text in it")
    digest = hashlib.sha256(file).hexdigest()[:16]
    return Document(id=digest, name=PurePath(filename).name, kind=kind, text=text)

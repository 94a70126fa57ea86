"""The answer step: variants of the node ``answer``, each rendering ``markdown``, ``json``
or ``table``.

* ``extractive`` (default): the best passages themselves, with sources and scores;
* ``generated``: a chat-completions call to any OpenAI-compatible endpoint
  (``DOCQA_LLM_URL`` + ``DOCQA_LLM_API_KEY``), grounded in the same passages.
  ``chat_request`` builds the request without sending it (it is what tests check).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import hyperflow as hf
from examples.docqa.retrieval import Hit

__all__ = [
    "FORMATS",
    "ChatRequest",
    "chat_request",
    "check_format",
    "extractive",
    "generated",
    "render_passages",
]

FORMATS = ("markdown", "json", "table")
"""The accepted ``output_format`` values."""

Answer = str | dict[str, Any]


def check_format(output_format: str) -> str:
    """``output_format`` if it is one of ``FORMATS``, else a ``ValueError`` naming them."""
    if output_format not in FORMATS:
        close = get_close_matches(str(output_format), FORMATS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"output_format must be one of {', '.join(FORMATS)}, but got {output_format!r}{hint}"
        )
    return output_format


def _rows(hits: list[Hit], width: int) -> list[dict[str, Any]]:
    return [
        {
            "rank": h.rank,
            "source": h.chunk.source,
            "section": h.chunk.section,
            "score": round(h.score, 4),
            "text": h.chunk.text if width <= 0 else " ".join(h.chunk.text.split())[:width],
        }
        for h in hits
    ]


def render_passages(
    question: str, hits: list[Hit], output_format: str, answer: str | None = None
) -> Answer:
    """Render ``hits`` (and an optional generated ``answer``) in ``output_format``."""
    check_format(output_format)
    if output_format == "json":
        best = answer if answer is not None else (hits[0].chunk.text if hits else "")
        return {"question": question, "answer": best, "passages": _rows(hits, 0)}
    if output_format == "table":
        lines = ["| rank | source | section | score | passage |", "|---|---|---|---|---|"]
        for r in _rows(hits, 160):
            text = str(r["text"]).replace("|", "\\|")
            lines.append(
                f"| {r['rank']} | {r['source']} | {r['section']} | {r['score']} | {text} |"
            )
        return "\n".join(lines)
    if not hits:
        return f"**{question}**\n\nNo passage matches this question."
    head = answer if answer is not None else "> " + hits[0].chunk.text.strip().replace("\n", "\n> ")
    sources = [
        f"{h.rank}. `{h.chunk.source}`"
        + (f" — {h.chunk.section}" if h.chunk.section else "")
        + f" (score {h.score:.3f})"
        for h in hits
    ]
    return f"**{question}**\n\n{head}\n\n**Sources**\n\n" + "\n".join(sources)


@hf.node(output="answer", variant="extractive")
def extractive(hits: list[Hit], question: str, output_format: str = "markdown") -> Answer:
    """The best passages, with their sources and scores."""
    return render_passages(question, hits, output_format)


@dataclass(frozen=True)
class ChatRequest:
    """An HTTP request to an OpenAI-compatible ``/chat/completions`` endpoint."""

    url: str
    headers: dict[str, str]
    body: dict[str, Any]


def chat_request(
    question: str, hits: list[Hit], *, base_url: str, api_key: str, model: str
) -> ChatRequest:
    """The chat-completions request answering ``question`` from ``hits`` only (not sent)."""
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(
            "the generator needs DOCQA_LLM_URL, an http(s) URL such as "
            f"'https://api.openai.com/v1', but got {base_url!r}"
        )
    context = "\n\n".join(f"[{h.rank}] ({h.chunk.source}) {h.chunk.text}" for h in hits)
    messages = [
        {
            "role": "system",
            "content": "Answer only from the numbered passages; cite them as "
            "[n]. If they do not contain the answer, say so.",
        },
        {"role": "user", "content": f"Passages:\n{context}\n\nQuestion: {question}"},
    ]
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return ChatRequest(
        url=base_url.rstrip("/") + "/chat/completions",
        headers=headers,
        body={"model": model, "messages": messages, "temperature": 0},
    )


@hf.node(output="answer", variant="generated", cache=False)
def generated(hits: list[Hit], question: str, output_format: str = "markdown") -> Answer:
    """An answer written by an OpenAI-compatible model from the passages, with the sources.

    Configured by ``DOCQA_LLM_URL`` (e.g. ``https://api.openai.com/v1``),
    ``DOCQA_LLM_API_KEY`` and ``DOCQA_LLM_MODEL`` (default ``gpt-4o-mini``).
    """
    import httpx

    check_format(output_format)
    req = chat_request(
        question,
        hits,
        base_url=os.environ.get("DOCQA_LLM_URL", ""),
        api_key=os.environ.get("DOCQA_LLM_API_KEY", ""),
        model=os.environ.get("DOCQA_LLM_MODEL", "gpt-4o-mini"),
    )
    resp = httpx.post(req.url, headers=req.headers, content=json.dumps(req.body), timeout=60.0)
    resp.raise_for_status()
    text = str(resp.json()["choices"][0]["message"]["content"])
    return render_passages(question, hits, output_format, answer=text)

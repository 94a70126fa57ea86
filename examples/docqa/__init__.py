"""Document Q&A (RAG) example: ingest files, search chunking × retrieval on labelled recall.

``ingest`` and ``query`` are the two pipelines a service exposes; ``evaluate``
scores chunker × retriever on the labelled pydoc questions. See README.md.
"""

from examples.docqa.pipeline import OBJECTIVE, evaluate, ingest, ingest_config, query, query_config

__all__ = ["OBJECTIVE", "evaluate", "ingest", "ingest_config", "query", "query_config"]

"""The prediction log as data: ``hf.predictions.search("weather", since=...)``.

Retention and data-subject requests: :func:`prune` (older than ``max_age``),
:func:`export` (access) and :func:`delete` (erasure), each recorded in the audit log.
"""

from hyperflow.predictions._admin import delete, export, prune
from hyperflow.predictions._search import search

__all__ = ["delete", "export", "prune", "search"]

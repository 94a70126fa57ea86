"""The prediction log as data: ``hf.predictions.search("weather", since=...)``."""

from hyperflow.predictions._search import search

__all__ = ["search"]

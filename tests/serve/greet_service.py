"""A one-endpoint service whose input has a default (used by tests/serve/test_endpoints.py)."""

from __future__ import annotations

import hyperflow as hf


def greeting(name: str, punctuation: str = "!") -> str:
    return f"hello {name}{punctuation}"


greet = hf.Service("greet", endpoints={"hello": hf.Pipeline([greeting], name="hello")})

"""What the registry's modules share: the logger, name checks, references, code versions."""

from __future__ import annotations

import getpass
import hashlib
import logging
import re
from typing import Any

from hyperflow._errors import RegistryError
from hyperflow.core import NestedNode, Pipeline, Service
from hyperflow.registry._semver import SemVer
from hyperflow.store import MetadataStore, RegistryStore, get_store

__all__ = [
    "StoreArg",
    "catalog_of",
    "check_name",
    "current_user",
    "log",
    "parse_ref",
    "pipeline_code_version",
    "pipeline_nodes",
]

log = logging.getLogger("hyperflow.registry")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
StoreArg = MetadataStore | str | None


def catalog_of(store: StoreArg) -> RegistryStore:
    """The registry store kept with the metadata store ``store``."""
    return get_store(store).registry_store()


def current_user() -> str:
    """Who is registering or moving an alias (the login name)."""
    try:
        return getpass.getuser()
    except Exception:  # no user database (containers)
        return "unknown"


def check_name(name: str) -> None:
    """Raise ``RegistryError`` unless ``name`` is a valid model name."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise RegistryError(
            f"a model name holds letters, digits, '_', '.' or '-' and starts with a letter or "
            f"digit, but got {name!r}"
        )


def parse_ref(ref: str) -> tuple[str, str | None, str | None]:
    """``"name@alias"`` → (name, None, alias); ``"name:1.2.0"`` → (name, "1.2.0", None);
    ``"name"`` → (name, None, "latest")."""
    if not isinstance(ref, str) or not ref:
        raise RegistryError(f"expected 'name@alias' or 'name:version', but got {ref!r}")
    if "@" in ref:
        name, _, alias = ref.partition("@")
        check_name(name)
        return name, None, alias
    if ":" in ref:
        name, _, version = ref.partition(":")
        check_name(name)
        SemVer.parse(version)
        return name, version, None
    check_name(ref)
    return ref, None, "latest"


def pipeline_nodes(pipeline: Pipeline | Service) -> list[Any]:
    """Every leaf node of a pipeline (of every endpoint of a service), nested ones included."""
    out: list[Any] = []
    stack = list(pipeline.endpoints.values()) if isinstance(pipeline, Service) else [pipeline]
    while stack:
        p = stack.pop()
        for n in p.nodes.values():
            if isinstance(n, NestedNode):
                stack.append(n.pipeline)
            else:
                out.append(n)
    return out


def pipeline_code_version(pipeline: Pipeline | Service) -> str:
    """One version for a whole pipeline: a hash of every node's code version (for a
    service: of each endpoint's name and code version)."""
    from hyperflow.engine import node_version

    h = hashlib.sha256()
    if isinstance(pipeline, Service):
        for ep, p in sorted(pipeline.endpoints.items()):
            h.update(f"{ep}={pipeline_code_version(p)};".encode())
        return h.hexdigest()[:32]
    for n in sorted(pipeline_nodes(pipeline), key=lambda n: (n.key, n.name)):
        h.update(f"{n.key}={node_version(n.func, n.version)};".encode())
    return h.hexdigest()[:32]

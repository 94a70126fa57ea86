"""What every bundle's Dockerfile must be, read with ``dockerfile-parse``."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def final_stage(dockerfile: Path) -> list[dict[str, Any]]:
    """The final stage's instructions, once checked: two slim stages, no compiler in the
    final one, and a non-root user."""
    from dockerfile_parse import DockerfileParser

    instructions = DockerfileParser(path=str(dockerfile)).structure
    froms = [i for i in instructions if i["instruction"] == "FROM"]
    assert len(froms) == 2 and all("-slim" in f["value"] for f in froms)
    final: list[dict[str, Any]] = instructions[instructions.index(froms[1]) :]
    text = " ".join(i["value"] for i in final).lower()
    assert not any(word in text for word in ("gcc", "build-essential", "apt-get install"))
    users = [i["value"] for i in final if i["instruction"] == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    return final

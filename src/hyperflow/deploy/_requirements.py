"""What a bundle needs to run: traced imports, local modules and pinned distributions.

A fresh interpreter loads the bundle exactly as it will be served (predict
module imported, artifacts deserialized, app built, its startup run) and
reports every module it imported. Modules from outside the environment are the
project's own code (copied into the bundle); the others map to installed
distributions, which are pinned at their installed versions together with
everything they require, plus hyperflow's ``serve`` extra.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from hyperflow._errors import DeployError

__all__ = [
    "Trace",
    "extra_requirements",
    "pinned_requirements",
    "static_imports",
    "trace_imports",
]

_TRACE = """
import json, sys
importers = {}
class Who:  # which module first imported each top-level package
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top not in importers and top not in sys.modules:
            f = sys._getframe(1)
            while f is not None and (f.f_code.co_filename.startswith("<frozen")
                                     or f.f_code.co_filename.endswith("importlib/__init__.py")):
                f = f.f_back
            importers[top] = f.f_globals.get("__name__") or "" if f is not None else ""
        return None
sys.meta_path.insert(0, Who())
from hyperflow.deploy._runtime import bundle_app
app = bundle_app(sys.argv[1], prediction_log="sqlite:///" + sys.argv[2])
from fastapi.testclient import TestClient
with TestClient(app) as client:
    status = client.get("/ready").status_code
    if status != 200:
        sys.exit(f"the bundle's app did not become ready (GET /ready: {status})")
files = {n: getattr(m, "__file__", None) for n, m in list(sys.modules.items())}
with open(sys.argv[3], "w", encoding="utf-8") as out:
    json.dump({"files": files, "importers": importers}, out)
"""

# Always present where a bundle's image runs; never a requirement.
_SKIP = {"hyperflow", "pip", "setuptools", "wheel"}


@dataclass(frozen=True)
class Trace:
    """What loading a bundle imported: ``local`` module -> file, and third-party top names."""

    local: dict[str, Path]
    packages: set[str]
    incidental: frozenset[str] = frozenset()
    """Packages only a third-party package imported (``import torch`` if installed, as
    scikit-learn's estimator discovery does): not requirements unless something needs them."""


def _environment_dirs() -> list[str]:
    paths = sysconfig.get_paths()
    dirs = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    dirs |= {sys.prefix, sys.base_prefix, sys.exec_prefix}
    return sorted(str(Path(d).resolve()) for d in dirs)


def _classify(files: dict[str, str | None], importers: dict[str, str] | None = None) -> Trace:
    env = _environment_dirs()
    hyperflow_dir = str(Path(__file__).resolve().parent.parent)
    local: dict[str, Path] = {}
    packages: set[str] = set()
    stdlib = set(sys.stdlib_module_names)
    for name, file in files.items():
        top = name.split(".")[0]
        if top in stdlib or top == "hyperflow" or top.startswith("__"):
            continue
        # a relative file is a synthetic module of its package (torch.ops says '_ops.py')
        resolved = str(Path(file).resolve()) if file and os.path.isabs(file) else ""
        if resolved and not resolved.startswith((*env, hyperflow_dir)):
            if resolved.endswith(".py"):
                local[name] = Path(resolved)
            continue
        packages.add(top)
    packages -= {n.split(".")[0] for n in local}
    local_tops = {n.split(".")[0] for n in local} | {"hyperflow", "__main__", ""}
    incidental = {
        top
        for top, by in (importers or {}).items()
        if top in packages and by.split(".")[0] not in local_tops | stdlib
    }
    return Trace(local, packages, frozenset(incidental))


def trace_imports(root: Path) -> Trace:
    """Load the bundle at ``root`` in a fresh interpreter and classify what it imported.

    Raises:
        DeployError: the bundle cannot be loaded (e.g. its predict module fails to import).
    """
    path = [os.getcwd() if p == "" else p for p in sys.path]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    with tempfile.TemporaryDirectory(prefix="hf-trace-") as tmp:
        out = Path(tmp) / "modules.json"
        proc = subprocess.run(
            [sys.executable, "-c", _TRACE, str(root), str(Path(tmp) / "log.db"), str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp,
        )
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise DeployError(
                f"the bundle could not be loaded in a fresh interpreter: {last}; check that "
                "the predict pipeline's module imports on its own (`python -c 'import MODULE'`)"
            )
        traced = json.loads(out.read_text(encoding="utf-8"))
    return _classify(traced["files"], traced["importers"])


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _serve_extra() -> list[str]:
    try:
        return extra_requirements("serve")
    except metadata.PackageNotFoundError:
        return ["fastapi", "uvicorn", "prometheus-client", "httpx", "fastapi-offline"]


def extra_requirements(extra: str | None) -> list[str]:
    """hyperflow's own requirement strings, markers dropped: its core (``extra=None``) or
    one extra's (``PackageNotFoundError`` when hyperflow is not installed)."""
    from packaging.requirements import Requirement

    out = []
    for text in metadata.requires("hyperflow") or []:
        marker = Requirement(text).marker
        if (marker is None) if extra is None else (
            marker is not None and marker.evaluate({"extra": extra})
        ):
            out.append(text.split(";")[0].strip())
    return out


def _closure(roots: dict[str, set[str]]) -> dict[str, tuple[str, set[str]]]:
    """Installed distributions reachable from ``roots`` (name -> extras), with versions."""
    from packaging.requirements import Requirement

    found: dict[str, tuple[str, set[str]]] = {}
    todo = list(roots.items())
    while todo:
        name, extras = todo.pop()
        key = _canonical(name)
        if key in _SKIP:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        known = found.get(key)
        if known is not None and extras <= known[1]:
            continue
        found[key] = (dist.version, extras | (known[1] if known else set()))
        for text in dist.requires or []:
            req = Requirement(text)
            wanted = {""} | extras
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in wanted):
                todo.append((req.name, set(req.extras)))
    return found


def _module_level(tree: ast.Module) -> list[ast.stmt]:
    """Statements run on import: the module's body and its ``if``/``try`` blocks."""
    out: list[ast.stmt] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, ast.If | ast.Try):
            todo.extend(node.body + node.orelse + getattr(node, "finalbody", []))
            todo.extend(s for h in getattr(node, "handlers", []) for s in h.body)
    return out


def static_imports(files: list[Path]) -> set[str]:
    """Top-level names the modules in ``files`` import when imported (absolute imports).

    Imports inside functions (a training-only data loader, say) are left out: what the
    predict path imports lazily is caught by the trace instead.
    """
    names: set[str] = set()
    for file in files:
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        for node in _module_level(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def _optional(found: dict[str, tuple[str, set[str]]]) -> set[str]:
    """Distributions that the ``found`` ones require only under an extra not asked for."""
    from packaging.requirements import Requirement

    optional: set[str] = set()
    for key, (_, extras) in found.items():
        for text in metadata.requires(key) or []:
            req = Requirement(text)
            if req.marker is not None and not any(
                req.marker.evaluate({"extra": e}) for e in {""} | extras
            ):
                optional.add(_canonical(req.name))
    return optional


def pinned_requirements(
    trace: Trace,
    needed: set[str],
    extra: list[str] | None = None,
    *,
    base: list[str] | None = None,
) -> list[str]:
    """``name[extras]==version`` lines of what the bundle needs, with their requirements.

    The roots are the distributions of the ``needed`` top-level modules (what the
    predict pipeline's modules import, what its artifacts are), hyperflow's ``serve``
    extra and ``extra``. A traced import outside their requirements is added too,
    unless it is only an optional dependency of them (pandas imports pyarrow when it
    is installed, but does not need it) or only a third-party package imported it
    (``trace.incidental``: scikit-learn imports torch when it is installed).
    ``base`` replaces the ``serve`` extra's requirements (the agent's bundle passes
    hyperflow's core requirements and the extras it runs with).
    """
    from packaging.requirements import Requirement

    by_module = metadata.packages_distributions()
    roots: dict[str, set[str]] = {}
    for top in sorted((needed - set(sys.stdlib_module_names)) - {"hyperflow"}):
        for dist in by_module.get(top, []):
            roots.setdefault(dist, set())
    for text in [*(_serve_extra() if base is None else base), *(extra or [])]:
        req = Requirement(text)
        roots.setdefault(req.name, set()).update(req.extras)
    pins = _closure(roots)
    optional = _optional(pins)
    for top in sorted(trace.packages - trace.incidental):
        for dist in by_module.get(top, []):
            if _canonical(dist) not in pins and _canonical(dist) not in optional:
                roots.setdefault(dist, set())
    pins = _closure(roots)
    lines = []
    for key in sorted(pins):
        version, extras = pins[key]
        suffix = f"[{','.join(sorted(extras))}]" if extras else ""
        lines.append(f"{key}{suffix}=={version}")
    return lines

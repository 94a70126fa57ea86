"""``build``: write a self-contained deployment bundle for a registered model.

The bundle is assembled in a temporary folder next to ``out`` and renamed into
place once complete, so a failed build never leaves a partial bundle behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyperflow._errors import DeployError, HyperflowError
from hyperflow.deploy._docker import (
    ENTRY_MODULE,
    dockerfile,
    dockerignore,
    entry_command,
    entry_module,
    readme,
)
from hyperflow.deploy._kube import kube_name, kustomization, manifests
from hyperflow.deploy._ops import grafana_dashboard, prometheus_rules
from hyperflow.deploy._requirements import (
    Trace,
    pinned_requirements,
    static_imports,
    trace_imports,
)
from hyperflow.deploy._runtime import BUNDLE_FILE
from hyperflow.registry import ModelVersion
from hyperflow.store import ArtifactStore, MetadataStore

__all__ = ["Bundle", "build", "on_postgres"]


@dataclass(frozen=True)
class Bundle:
    """A written bundle: where, for which version, and what it needs.

    Attributes:
        path: the bundle folder.
        name, version, run_id: the model version it packs.
        requirements: its pinned ``requirements.txt`` lines.
        modules: the project modules copied into ``app/`` (dotted names).
        command: the entry command, run from ``path``.
    """

    path: Path
    name: str
    version: str
    run_id: str | None
    requirements: list[str]
    modules: list[str]
    command: list[str]


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise DeployError(f"--out {out} is a file; give a folder for the bundle")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise DeployError(
            f"{out} is not empty; choose an empty or new folder, or pass force=True "
            "(--force) to replace it"
        )


@contextlib.contextmanager
def staging(target: Path) -> Iterator[Path]:
    """A temporary folder next to ``target``, renamed to ``target`` (replacing it) when the
    block completes and removed when it raises: a bundle is never left half-written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.old-{time.time_ns()}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_predict(mv: ModelVersion) -> None:
    from hyperflow._refs import import_trusted_ref

    try:
        import_trusted_ref(mv.predict_ref)
    except Exception as exc:  # a refused reference, or the user's module raised on import
        detail = str(exc) if isinstance(exc, HyperflowError) else f"{type(exc).__name__}: {exc}"
        raise DeployError(
            f"cannot build {mv.ref}: its predict pipeline {mv.predict_ref!r} does not import "
            f"({detail}); fix the module (or register a version whose predict pipeline "
            "imports) and build again"
        ) from None


def _write_artifacts(
    root: Path, mv: ModelVersion, artifact_store: ArtifactStore | str | None
) -> dict[str, dict[str, Any]]:
    from hyperflow.store import get_artifact_store

    store = get_artifact_store(artifact_store)
    folder = root / "artifacts"
    folder.mkdir()
    manifest: dict[str, dict[str, Any]] = {}
    for name, meta in sorted(mv.artifacts.items()):
        data = store.get(meta["digest"])
        path = folder / f"{name}.{meta['format']}"
        path.write_bytes(data)
        manifest[name] = {
            "path": f"artifacts/{path.name}",
            "sha256": hashlib.sha256(data).hexdigest(),
            "format": meta["format"],
            "size": len(data),
            "type": meta.get("type"),
            "store_digest": meta["digest"],
        }
    sums = "".join(f"{m['sha256']}  {Path(m['path']).name}\n" for m in manifest.values())
    (folder / "SHA256SUMS").write_text(sums, encoding="utf-8")
    return manifest


def _info(mv: ModelVersion, ref: str, manifest: dict[str, Any]) -> dict[str, Any]:
    import hyperflow

    return {
        "format": 1,
        "ref": ref,
        "name": mv.name,
        "kube_name": kube_name(mv.name),
        "version": mv.version,
        "alias": ref.partition("@")[2] or None,
        "run_id": mv.run_id,
        "predict_ref": mv.predict_ref,
        "code_version": mv.code_version,
        "metrics": mv.metrics,
        "artifacts": manifest,
        "lineage": mv.lineage,
        "built_at": time.time(),
        "hyperflow_version": hyperflow.__version__,
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


def _copy_code(root: Path, trace: Trace) -> list[str]:
    """Copy the project's traced modules and hyperflow itself into ``app/``."""
    app = root / "app"
    for name, file in sorted(trace.local.items()):
        parts = name.split(".")
        if file.name == "__init__.py":
            target = app.joinpath(*parts, "__init__.py")
        else:
            target = app.joinpath(*parts[:-1], file.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)
    package = Path(__file__).resolve().parent.parent
    shutil.copytree(
        package, app / "hyperflow", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    (app / f"{ENTRY_MODULE}.py").write_text(entry_module(), encoding="utf-8")
    return sorted(trace.local)


def _write_text(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _templates(info: dict[str, Any], requirements: list[str]) -> dict[str, str]:
    image = f"{info['kube_name']}:{info['version']}"
    kube = manifests(info, image)
    files = {f"k8s/{n}": text for n, text in kube.items()}
    files["k8s/kustomization.yaml"] = kustomization(info, image, sorted(kube))
    files["Dockerfile"] = dockerfile(info)
    files[".dockerignore"] = dockerignore()
    files["monitoring/grafana-dashboard.json"] = grafana_dashboard(info)
    files["monitoring/prometheus-rules.yaml"] = prometheus_rules(info)
    files["README.md"] = readme(info, requirements)
    header = f"# {info['name']} {info['version']}: pinned by `hyperflow build`\n"
    files["requirements.txt"] = header + "".join(f"{r}\n" for r in requirements)
    return files


def on_postgres(store: MetadataStore | str | None, project: Path | None = None) -> bool:
    """Whether the model's store is PostgreSQL: ``store`` itself, else ``HYPERFLOW_STORE``,
    else the config of the project at ``project`` (default: the current folder's)."""
    from hyperflow.store import project_config

    if isinstance(store, MetadataStore):
        url = store.url
    else:
        url = store or os.environ.get("HYPERFLOW_STORE") or ""
        url = url or str(project_config(project).get("store", ""))
    return url.startswith("postgresql")


def _extra_requirements(store: MetadataStore | str | None) -> list[str]:
    """The PostgreSQL driver when the model comes from a PostgreSQL store."""
    return ["psycopg[binary]"] if on_postgres(store) else []


def _assemble(
    tmp: Path,
    ref: str,
    mv: ModelVersion,
    stores: tuple[MetadataStore | str | None, ArtifactStore | str | None],
    workers: int = 1,
) -> tuple[dict[str, Any], list[str], list[str]]:
    manifest = _write_artifacts(tmp, mv, stores[1])
    info = {**_info(mv, ref, manifest), "workers": workers}
    (tmp / BUNDLE_FILE).write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
    trace = trace_imports(tmp)
    modules = _copy_code(tmp, trace)
    needed = static_imports(list(trace.local.values()))
    needed |= {str(m.get("type") or "").split(".")[0] for m in manifest.values()} - {""}
    extra = _extra_requirements(stores[0])
    if any(m["format"] == "parquet" for m in manifest.values()):
        extra.append("pyarrow")
    requirements = pinned_requirements(trace, needed, extra)
    _write_text(tmp, _templates(info, requirements))
    return info, requirements, modules


def build(
    ref: str,
    out: str | Path,
    *,
    force: bool = False,
    store: MetadataStore | str | None = None,
    artifact_store: ArtifactStore | str | None = None,
    workers: int = 1,
) -> Bundle:
    """Write a self-contained bundle for ``ref`` (``"name@alias"`` or ``"name:1.2.0"``).

    The bundle holds the artifacts (sha256 manifest, lineage), the predict
    pipeline's modules, a pinned ``requirements.txt`` (what the predict pipeline
    imports, plus hyperflow's ``serve`` extra), a ``Dockerfile``, Kubernetes
    manifests with a ``kustomization.yaml``, a Grafana dashboard, Prometheus
    alert rules and a README. It runs with ``uvicorn`` from its folder; with
    ``workers`` > 1 the Dockerfile and the Deployment run ``python
    app/hyperflow_bundle.py --workers N`` (``serve``'s worker supervisor, metrics summed
    over the workers) and the container's CPU limit is N.

    Raises:
        RegistryError: ``ref`` names no registered version (known aliases are listed).
        DeployError: the predict pipeline does not import or load, or ``out`` is not
            empty and ``force`` is false.
    """
    from hyperflow import registry

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise DeployError(f"workers must be an integer >= 1, but got {workers!r}")
    target = Path(out).absolute()
    _check_out(target, force)
    mv = registry.get(ref, store=store)
    _check_predict(mv)
    with staging(target) as tmp:
        _, requirements, modules = _assemble(tmp, ref, mv, (store, artifact_store), workers)
    command = entry_command(workers=workers)
    return Bundle(target, mv.name, mv.version, mv.run_id, requirements, modules, command)

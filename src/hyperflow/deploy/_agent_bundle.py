"""``build_agent``: the bundle that runs ``hyperflow agent`` for one model.

Where ``build`` packs what serving needs (the predict pipeline and the artifacts),
this packs what the closed loop needs: the project's config and the code its
references reach (training included), pinned requirements (hyperflow's core, the
extras the agent runs with, the project modules' imports), hyperflow as a wheel,
a ``Dockerfile``, a Kubernetes Deployment, a CronJob alternative and a README. It is
written to a temporary folder and renamed into place, like ``build``'s bundle.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyperflow._errors import DeployError
from hyperflow.deploy._build import _check_out, _write_text, on_postgres, staging
from hyperflow.deploy._docker_agent import agent_dockerfile, agent_dockerignore, agent_readme
from hyperflow.deploy._kube import kube_name
from hyperflow.deploy._kube_agent import agent_command, agent_manifests, agent_schedule
from hyperflow.deploy._project_code import ProjectCode, config_refs, project_code
from hyperflow.deploy._requirements import Trace, extra_requirements, pinned_requirements
from hyperflow.deploy._wheel import hyperflow_wheel
from hyperflow.store import MetadataStore

__all__ = ["AGENT_EXTRAS", "AgentBundle", "build_agent"]

#: hyperflow extras an agent bundle may ask for (``serve`` comes when the project imports it).
AGENT_EXTRAS = ("retrain", "postgres", "s3", "parquet", "dask", "redis", "governance", "serve")
_BUNDLE_NAMES = {"Dockerfile", ".dockerignore", "README.md", "requirements.txt", "k8s", "wheels"}
_SERVE_TOPS = {"fastapi", "uvicorn", "starlette", "prometheus_client"}


@dataclass(frozen=True)
class AgentBundle:
    """A written agent bundle.

    Attributes:
        path: the bundle folder (also the project root the agent runs in).
        name: the model the agent looks after.
        requirements: its pinned ``requirements.txt`` lines.
        modules: the project modules copied (dotted names).
        extras: the hyperflow extras it installs.
        command: the agent's command, run from ``path``.
    """

    path: Path
    name: str
    requirements: list[str]
    modules: list[str]
    extras: list[str]
    command: list[str]


def _check_name(name: str, store: MetadataStore | str | None) -> None:
    from hyperflow import registry

    if not isinstance(name, str) or "@" in name or ":" in name:
        bare = str(name).split("@")[0].split(":")[0]
        raise DeployError(
            f"build --agent takes a model NAME, but got {name!r}: the agent looks after every "
            "version of the model (it retrains, gates and moves the aliases itself), so no "
            f"alias or version applies; pass {bare!r}"
        )
    registry.versions(name, store=store)  # an unknown name: RegistryError with "did you mean"


def _project_root(project: str | Path | None) -> Path:
    from hyperflow._project import find_project_root

    root = find_project_root(project)
    if root is None:
        raise DeployError(
            f"build --agent packs the project's code, but {Path(project or '.').absolute()} is "
            "not inside a hyperflow project (a pyproject.toml with [tool.hyperflow], or a "
            "hyperflow.toml); run it from the project folder"
        )
    return root


def _seeds(root: Path, name: str, store: MetadataStore | str | None) -> set[str]:
    from hyperflow import registry
    from hyperflow._project import config_in

    refs = config_refs(config_in(root) or {})
    refs |= {mv.predict_ref for mv in registry.versions(name, store=store) if mv.predict_ref}
    return {ref.partition(":")[0] for ref in refs}


def _extras(
    asked: Sequence[str], code: ProjectCode, store: MetadataStore | str | None
) -> list[str]:
    """``retrain`` and the asked extras, plus those the project's store and artifact root
    (``HYPERFLOW_STORE``/``HYPERFLOW_ARTIFACTS`` at build time, else its config) and its
    imports call for."""
    import os

    from hyperflow.store import project_config

    bad = [e for e in asked if e not in AGENT_EXTRAS]
    if bad:
        raise DeployError(
            f"unknown extra(s) {', '.join(map(repr, bad))}; the agent bundle takes "
            f"{', '.join(AGENT_EXTRAS)}"
        )
    extras = {"retrain", *asked}
    config = project_config(code.root)
    artifacts = os.environ.get("HYPERFLOW_ARTIFACTS") or str(config.get("artifacts", ""))
    if on_postgres(store, code.root):
        extras.add("postgres")
    if artifacts.startswith("s3://"):
        extras.add("s3")
    if code.imports & _SERVE_TOPS:
        extras.add("serve")
    return sorted(extras)


def _requirements(code: ProjectCode, extras: list[str]) -> list[str]:
    base = [*extra_requirements(None), "httpx"]  # httpx: the monitor's webhook channel
    todo, seen = list(extras), set[str]()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in extra_requirements(extra):
            if text.startswith("hyperflow["):  # an extra built on others (ui = serve + ...)
                todo.extend(text[len("hyperflow[") : text.index("]")].split(","))
            else:
                base.append(text)
    return pinned_requirements(Trace({}, set()), set(code.imports), base=base)


def _copy_project(tmp: Path, code: ProjectCode) -> list[str]:
    """Copy the config file(s) and the modules; return the top-level paths copied."""
    tops: set[str] = set()
    for config in ("pyproject.toml", "hyperflow.toml"):
        if (code.root / config).is_file():
            shutil.copy2(code.root / config, tmp / config)
            tops.add(config)
    for file in code.files.values():
        rel = file.relative_to(code.root)
        if rel.parts[0] in _BUNDLE_NAMES:
            raise DeployError(
                f"the project's module {rel} would overwrite the bundle's own {rel.parts[0]}; "
                "rename the module"
            )
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, tmp / rel)
        tops.add(rel.parts[0])
    return sorted(tops)


def _assemble(
    tmp: Path, name: str, code: ProjectCode, settings: dict[str, Any]
) -> tuple[list[str], list[str]]:
    import hyperflow

    copied = _copy_project(tmp, code)
    requirements = _requirements(code, settings["extras"])
    hyperflow_wheel(tmp / "wheels")
    config = "pyproject.toml" if "pyproject.toml" in copied else "hyperflow.toml"
    kube = kube_name(name)
    info = {
        **settings, "name": name, "kube": kube, "secret": f"{kube}-agent-secrets",
        "image": f"{kube}-agent:{hyperflow.__version__}", "copied": copied, "config": config,
        "modules": sorted(code.files), "hyperflow_version": hyperflow.__version__,
    }
    files = {f"k8s/{n}": text for n, text in agent_manifests(info, info["image"]).items()}
    files["Dockerfile"] = agent_dockerfile(info)
    files[".dockerignore"] = agent_dockerignore()
    files["README.md"] = agent_readme(info, requirements)
    extras = ",".join(settings["extras"])
    header = (
        f"# the agent of {name}: pinned by `hyperflow build {name} --agent`\n"
        f"# hyperflow[{extras}] itself: pip install --no-deps wheels/*.whl\n"
    )
    files["requirements.txt"] = header + "".join(f"{r}\n" for r in requirements)
    _write_text(tmp, files)
    return requirements, copied


def _settings(interval: str, replicas: int, extras: list[str]) -> dict[str, Any]:
    from hyperflow.monitor._config import parse_duration

    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise DeployError(f"replicas must be an integer >= 1, but got {replicas!r}")
    try:
        seconds = parse_duration(interval, "interval")
    except Exception as exc:
        raise DeployError(str(exc)) from None
    if seconds <= 0:
        raise DeployError(f"interval must be positive, like '60s', but got {interval!r}")
    return {
        "interval": str(interval), "replicas": replicas, "extras": extras,
        "schedule": agent_schedule(seconds), "deadline": max(600, int(10 * seconds)),
    }


def build_agent(
    name: str,
    out: str | Path,
    *,
    force: bool = False,
    interval: str = "60s",
    replicas: int = 1,
    extras: Sequence[str] = (),
    project: str | Path | None = None,
    store: MetadataStore | str | None = None,
) -> AgentBundle:
    """Write the bundle that runs ``hyperflow agent --model NAME`` for model ``name``.

    The project (found from ``project``, default the current folder, as the command line
    finds it) gives its config file and the modules its references reach, training code
    included. ``replicas`` > 1 is safe (the model's lease lets exactly one agent act);
    ``extras`` adds hyperflow extras (``retrain`` always; ``postgres``/``s3`` when the
    project's store or artifact root needs them; ``serve`` when its modules import it).

    Example:
        >>> from hyperflow import deploy
        >>> deploy.build_agent("weather", "build/weather-agent")  # doctest: +SKIP

    Raises:
        RegistryError: ``name`` is not a registered model (with "did you mean").
        DeployError: ``name`` carries an alias or version, the folder is not in a
            project, a referenced module is missing, or ``out`` is not empty and
            ``force`` is false.
    """
    settings = _settings(interval, replicas, list(extras))
    settings["command"] = agent_command(name, settings["interval"])
    target = Path(out).absolute()
    _check_out(target, force)
    _check_name(name, store)
    root = _project_root(project)
    code = project_code(root, _seeds(root, name, store))
    settings["extras"] = _extras(settings["extras"], code, store)
    with staging(target) as tmp:
        requirements, _ = _assemble(tmp, name, code, settings)
    return AgentBundle(
        target, name, requirements, sorted(code.files), settings["extras"], settings["command"]
    )

"""The weather bundle's environment vs the one MLflow's ``models build-docker`` installs.

Run: ``python benchmarks/bench_bundle_mlflow.py`` (needs ``mlflow`` or ``mlflow-skinny``
here to save the model, and PyPI through pip's cache; takes minutes).

Both sides start from the same trained weather model (LogisticRegression). Ours: the
``requirements.txt`` of ``hf.deploy.build``. MLflow's: ``mlflow.sklearn.save_model``
writes the model's ``requirements.txt`` (pinned ``mlflow``, ``scikit-learn``,
``cloudpickle``, ...); ``mlflow models build-docker`` installs exactly that (plus
``mlflow`` itself, already in it) into the image. Each set goes into a fresh virtual
environment and is measured the same way (``bench_build``: distributions other than
pip/setuptools, bytes under site-packages); the ratio is MLflow's over ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from benchmarks.bench_build import _bundle, _site_packages, _size  # noqa: E402


def environment(requirements: Path, where: Path) -> dict[str, float]:
    """Install ``requirements`` into a fresh venv at ``where``: distributions, MB, seconds."""
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    python = where / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    t0 = time.perf_counter()
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-r", str(requirements)],
        check=True, env=env,
    )
    seconds = time.perf_counter() - t0
    site = _site_packages(python)
    dists = [p for p in site.glob("*.dist-info") if p.name.split("-")[0] not in ("pip", "setuptools")]
    return {"dists": len(dists), "mb": round(_size(site) / 1e6, 1), "install_s": round(seconds, 1)}


def _objects(model: object) -> list[object]:
    """``model`` and the estimators/transformers/functions nested in it (sklearn params)."""
    out, todo = [], [model]
    while todo:
        obj = todo.pop()
        out.append(obj)
        params = getattr(obj, "get_params", None)
        if callable(params):
            todo += [v for v in params(deep=False).values() if v is not None]
        elif isinstance(obj, list | tuple):
            todo += list(obj)
    return out


def mlflow_requirements(model: object, work: Path) -> Path:
    """``mlflow.sklearn.save_model``'s requirements for ``model`` (what build-docker installs)."""
    import mlflow.sklearn

    target = work / "mlflow-model"
    custom = sorted(  # the weather example's own classes, trusted by its author
        {f"{type(o).__module__}.{type(o).__qualname__}" for o in _objects(model)}
        - {""}
    )
    trusted = [t for t in custom if t.startswith("examples.")]
    mlflow.sklearn.save_model(model, str(target), skops_trusted_types=trusted or None)
    requirements = target / "requirements.txt"
    lines = [x.strip() for x in requirements.read_text().splitlines() if x.strip()]
    if not any(x.split("==")[0].strip().lower() in ("mlflow", "mlflow-skinny") for x in lines):
        lines.append(f"mlflow=={mlflow.__version__}")  # build-docker installs mlflow itself
    # build-docker installs the full ``mlflow`` (its server, gunicorn, ...), never the skinny one
    lines = [x.replace("mlflow-skinny", "mlflow", 1) if x.startswith("mlflow-skinny") else x
             for x in lines]
    # what MLflow found imported while loading the model, made installable here: this
    # project from its source (it is not on PyPI). torch, when MLflow lists it, resolves
    # to whatever pip finds first (here: the CPU wheel; PyPI's pulls GBs of CUDA libraries)
    lines = [str(ROOT) if x.startswith("hyperflow==") else x for x in lines]
    requirements.write_text("\n".join(lines) + "\n")
    return requirements


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hf-bench-mlflow-") as tmp:
        work = Path(tmp)
        bundle, _ = _bundle(work)
        from hyperflow import registry

        model = registry.load("weather@production").artifacts["model"]
        ours = environment(bundle.path / "requirements.txt", work / "venv-hyperflow")  # type: ignore[attr-defined]
        reqs = mlflow_requirements(model, work)
        theirs = environment(reqs, work / "venv-mlflow")
        print("MLflow requirements:", " ".join(reqs.read_text().split()))
        print(json.dumps({"hyperflow_bundle": ours, "mlflow_build_docker": theirs}, indent=2))
        print(
            f"ratio MLflow/hyperflow: distributions {theirs['dists'] / ours['dists']:.2f}x, "
            f"installed size {theirs['mb'] / ours['mb']:.2f}x"
        )


if __name__ == "__main__":
    main()

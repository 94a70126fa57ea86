"""Bundle build time and the bundle environment's size vs the full project environment.

Run: ``python benchmarks/bench_build.py [--install]``.

Trains the weather LogisticRegression in a scratch project, registers it, and times
``hf.deploy.build``. With ``--install`` it also creates a fresh virtual environment from
the bundle's ``requirements.txt`` alone (from PyPI, through pip's cache) and reports its
distribution count and installed size next to the environment running this script.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import venv
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _site_packages(python: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env)
    return Path(out.stdout.strip())


def _installed_size(dist: metadata.Distribution) -> int:
    base = Path(str(dist.locate_file("")))
    return sum(
        (base / str(f)).stat().st_size for f in dist.files or [] if (base / str(f)).is_file()
    )


def core_size(dependencies: list[str]) -> tuple[int, float]:
    """Distributions and installed MB of ``pip install hyperflow`` with these core dependencies,
    measured from the installed distributions' RECORD files (pinned as installed here)."""
    from packaging.requirements import Requirement

    seen: dict[str, int] = {}
    todo = [Requirement(d).name for d in dependencies]
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = _installed_size(dist)
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return len(seen) + 1, round(sum(seen.values()) / 1e6, 1)


def _core_report() -> dict[str, object]:
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    before = [*deps, "pyarrow>=14"] if not any(d.startswith("pyarrow") for d in deps) else deps
    return {"core_before": core_size(before), "core_now": core_size(deps)}


def _bundle(work: Path) -> tuple[object, float]:
    from examples.weather import pipeline as weather

    import hyperflow as hf

    os.chdir(work)
    os.environ.setdefault("HYPERFLOW_TRUSTED_MODULES", "examples")
    run = weather.train.run(config={"model": "logreg"}, outputs=["model", "metrics"], track=True)
    hf.registry.register("weather", run_id=str(run.run_id), predict=weather.predict)
    hf.registry.set_alias("weather", "production", "0.1.0")
    t0 = time.perf_counter()
    bundle = hf.deploy.build("weather@production", work / "bundle")
    return bundle, time.perf_counter() - t0


def _install(bundle: Path, work: Path) -> dict[str, object]:
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    t0 = time.perf_counter()
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(bundle / "requirements.txt")],
        check=True, env=env,
    )
    seconds = time.perf_counter() - t0
    day = {"date": "2015-06-01", "precipitation": 0.5, "temp_max": 12.8, "temp_min": 5.0, "wind": 4.7}
    code = (
        "import sys; sys.path.insert(0, 'app'); from hyperflow.deploy import bundle_predictor; "
        f"print(bundle_predictor('.')({day!r}))"
    )
    predicted = subprocess.run(
        [str(python), "-c", code], cwd=bundle, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    site = _site_packages(python)
    dists = [p for p in site.glob("*.dist-info") if p.name.split("-")[0] not in ("pip", "setuptools")]
    return {
        "install_s": round(seconds, 1),
        "bundle_env_prediction": predicted,
        "bundle_env_dists": len(dists),
        "bundle_env_mb": round(_size(site) / 1e6, 1),
        "bundle_app_mb": round(_size(bundle) / 1e6, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--install", action="store_true", help="also install the bundle's venv")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="hf-bench-build-") as tmp:
        work = Path(tmp)
        bundle, seconds = _bundle(work)
        result: dict[str, object] = {
            "build_s": round(seconds, 2),
            "requirements": len(bundle.requirements),  # type: ignore[attr-defined]
            "full_env_dists": len(list(metadata.distributions())),
            "full_env_mb": round(_size(_site_packages(Path(sys.executable))) / 1e6, 1),
            **_core_report(),
        }
        if args.install:
            result.update(_install(bundle.path, work))  # type: ignore[attr-defined]
        print(json.dumps(result, indent=2))
        print("\n".join(bundle.requirements))  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

"""Issue 14.6: the user's path as a test. The wheel is built, installed into a fresh virtual
environment outside the repository, and only its ``hyperflow`` console script is driven, in an
empty folder: init → run → optimize → register → promote → serve (real uvicorn on 127.0.0.1)
→ /predict good and bad → rollback picked up → the README quickstart pasted and executed.

The new environment gets its third-party dependencies from the test's own environment through
a ``.pth`` line (offline, no download); the repository's editable install is not visible there
(``.pth`` files of that folder are not processed), which the test checks: ``hyperflow`` is
imported from the new environment's ``site-packages``.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.serve.processes import ServeProcess
from tests.test_docs import paste

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _build_wheel(work: Path) -> Path:
    """The wheel of a clean copy of the sources (nothing written into the repository)."""
    src = work / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    shutil.copytree(ROOT / "src", src / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, src / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(work / "dist"), str(src)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = (work / "dist").glob("hyperflow-*.whl")
    return wheel


def _venv(work: Path, wheel: Path) -> tuple[Path, dict[str, str]]:
    """A fresh environment with the wheel installed; dependencies from ours via ``.pth``."""
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "_deps.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HYPERFLOW_"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, env=env, timeout=300,
    )
    return venv, env


class _User:
    """Types commands into the installed ``hyperflow`` script, in a folder."""

    def __init__(self, venv: Path, env: dict[str, str]) -> None:
        self.script = str(venv / "bin" / "hyperflow")
        self.python = str(venv / "bin" / "python")
        self.env = env

    def __call__(self, cwd: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [self.script, *args], cwd=cwd, env=self.env, capture_output=True, text=True,
            timeout=300,
        )
        assert proc.returncode == code, f"hyperflow {' '.join(args)}: {proc.stdout}{proc.stderr}"
        return proc

    def json(self, cwd: Path, *args: str) -> dict[str, object]:
        data: dict[str, object] = json.loads(self(cwd, *args, "--json").stdout)
        return data


def test_the_users_path_through_the_installed_script(tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("installed")
    assert not work.is_relative_to(ROOT)
    venv, env = _venv(work, _build_wheel(work))
    user = _User(venv, env)
    where = subprocess.run(
        [user.python, "-c", "import hyperflow; print(hyperflow.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), where  # the wheel, not the repository

    empty = work / "empty"
    empty.mkdir()
    assert "Usage: hyperflow" in user(empty).stdout  # bare: help, exit 0
    assert "no hyperflow project found" in user(empty, "runs", "list").stderr
    assert list(empty.iterdir()) == []  # reading created nothing
    user(empty, "init", "demo")
    project = empty / "demo"
    sub = project / "tests"  # every command from a sub-folder of the project

    ran = user.json(sub, "run", "--set", "model=tree")
    assert 0.5 < ran["outputs"]["metrics"]["accuracy"] <= 1  # type: ignore[index]
    found = user.json(sub, "optimize", "--trials", "4")
    assert found["trials"] == 4 and found["failed"] == 0
    best = str(found["best_run_id"])
    assert user.json(sub, "register", "--run", best[:10])["version"] == "0.1.0"
    second = user.json(sub, "register", "--run", best, "--bump", "patch")
    assert second["version"] == "0.1.1"
    user(sub, "promote", "demo", "0.1.0")
    user(sub, "promote", "demo", "0.1.1")
    user(sub, "optimize", "--trials", "abc", code=2)

    server = ServeProcess(["demo@production", "--poll", "0.2"], sub, user.env,
                          command=[user.script])
    try:
        start = server.wait_for(server.url, timeout=120)
        assert "demo" in start and "0.1.1" in start
        flower = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4,
                  "petal_width": 0.2}
        with httpx.Client(base_url=server.url, timeout=30) as client:
            good = client.post("/predict", json=flower)
            assert good.status_code == 200 and good.json()["prediction"] in (0, 1, 2)
            bad = client.post("/predict", json={**flower, "petal_width": "wide"})
            assert bad.status_code == 422 and "petal_width" in bad.text
            assert user.json(sub, "rollback", "demo")["to"] == "0.1.0"
            assert "0.1.1 -> 0.1.0" in server.wait_for("reloaded", timeout=120)
            assert client.get("/version").json()["version"] == "0.1.0"
    finally:
        assert server.stop() == 0

    quick = work / "quickstart"  # the README's quickstart, pasted into a new folder
    quick.mkdir()
    script = quick / "quickstart.py"
    script.write_text("\n".join(paste(ROOT / "README.md", quick)), encoding="utf-8")
    proc = subprocess.run(
        [user.python, str(script)], cwd=quick, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (quick / ".hyperflow" / "hyperflow.db").exists()
    listed = json.loads(user(quick, "runs", "list", "--pipeline", "iris", "--json").stdout)
    assert len(listed) >= 12
    assert user.json(quick, "models", "show", "iris@production")["name"] == "iris"

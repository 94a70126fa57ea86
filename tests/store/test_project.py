"""Store locations are resolved at use time from env vars, the project and the cwd."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperflow.store import (
    find_project_root,
    get_store,
    resolve_artifact_root,
    resolve_store_url,
    store_configured,
)


def test_outside_a_project_defaults_to_cwd_and_is_not_configured(tmp_path: Path) -> None:
    assert find_project_root() is None and not store_configured()
    assert resolve_store_url() == f"sqlite:///{tmp_path}/.hyperflow/hyperflow.db"
    assert resolve_artifact_root() == str(tmp_path / ".hyperflow" / "artifacts")


def test_pyproject_with_tool_hyperflow_marks_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.hyperflow]\nstore = "sqlite:///meta.db"\n')
    sub = tmp_path / "notebooks" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert find_project_root() == tmp_path and store_configured()
    assert resolve_store_url() == f"sqlite:///{tmp_path}/meta.db"
    assert resolve_artifact_root() == str(tmp_path / ".hyperflow" / "artifacts")


def test_pyproject_without_the_table_is_not_a_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_project_root() is None


def test_env_vars_override_and_are_read_when_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hyperflow.toml").write_text('artifacts = "arts"\n')
    assert resolve_artifact_root() == str(tmp_path / "arts")
    monkeypatch.setenv("HYPERFLOW_STORE", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("HYPERFLOW_ARTIFACTS", "s3://bucket/prefix")
    assert resolve_store_url() == f"sqlite:///{tmp_path}/env.db"
    assert resolve_artifact_root() == "s3://bucket/prefix"
    assert get_store().url == f"sqlite:///{tmp_path}/env.db"
    assert Path(tmp_path / "env.db").exists()


def test_store_factory_rejects_other_types() -> None:
    from hyperflow import StoreError

    with pytest.raises(StoreError, match="must be None, a URL or a MetadataStore"):
        get_store(42)  # type: ignore[arg-type]

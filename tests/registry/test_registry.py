from __future__ import annotations

import ast
import itertools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import hyperflow as hf
from hyperflow import registry
from hyperflow.registry import PredictionInputError
from hyperflow.store import get_artifact_store, get_store
from tests.registry import models

ROOT = Path(__file__).resolve().parents[2]


def _run(store_url: str, scale: float = 1.0) -> str:
    r = models.train.run(
        config={"model.scale": scale}, outputs=["model", "metrics"], track=store_url
    )
    return str(r.run_id)


def test_versions_bump_and_are_immutable(store_url: str) -> None:
    rid = _run(store_url)
    v1 = registry.register("demo", run_id=rid, predict=models.predict, store=store_url)
    v2 = registry.register(
        "demo", run_id=rid, predict=models.predict, bump="patch", store=store_url
    )
    v3 = registry.register(
        "demo", run_id=rid, predict=models.predict, bump="major", store=store_url
    )
    rc = registry.register(
        "demo", run_id=rid, predict=models.predict, version="2.0.0-rc.1", store=store_url
    )
    assert [v1.version, v2.version, v3.version, rc.version] == [
        "0.1.0",
        "0.1.1",
        "1.0.0",
        "2.0.0-rc.1",
    ]
    assert [v.version for v in registry.versions("demo", store=store_url)] == [
        "2.0.0-rc.1",
        "1.0.0",
        "0.1.1",
        "0.1.0",
    ]
    with pytest.raises(hf.RegistryError, match=r"already has version 1.0.0 \(from run " + rid):
        registry.register(
            "demo", run_id=rid, predict=models.predict, version="1.0.0", store=store_url
        )
    with pytest.raises(hf.RegistryError, match="not a semantic version"):
        registry.register(
            "demo", run_id=rid, predict=models.predict, version="1.0", store=store_url
        )
    with pytest.raises(hf.RegistryError, match="no run 'nope'"):
        registry.register("demo", run_id="nope", predict=models.predict, store=store_url)


def test_aliases_history_and_rollback(store_url: str) -> None:
    rid = _run(store_url)
    for _ in range(3):
        registry.register("demo", run_id=rid, predict=models.predict, store=store_url)
    registry.set_alias("demo", "production", "0.1.0", reason="first", store=store_url)
    registry.set_alias("demo", "production", "0.2.0", store=store_url)
    registry.set_alias("demo", "production", "0.3.0", reason="better f1", store=store_url)
    assert registry.get("demo@production", store=store_url).version == "0.3.0"
    back = registry.rollback("demo", "production", store=store_url)
    assert (back.from_version, back.to_version, back.rollback) == ("0.3.0", "0.2.0", True)
    registry.rollback("demo", "production", store=store_url)
    assert registry.get("demo@production", store=store_url).version == "0.1.0"
    with pytest.raises(hf.RegistryError, match="no earlier target"):
        registry.rollback("demo", "production", store=store_url)
    moves = registry.history("demo", "production", store=store_url)
    assert [(m.from_version, m.to_version) for m in moves] == [
        (None, "0.1.0"),
        ("0.1.0", "0.2.0"),
        ("0.2.0", "0.3.0"),
        ("0.3.0", "0.2.0"),
        ("0.2.0", "0.1.0"),
    ]
    assert moves[2].reason == "better f1" and moves[0].who and moves[0].at > 0
    # latest is virtual: the newest active version
    assert registry.get("demo@latest", store=store_url).version == "0.3.0"
    assert registry.get("demo", store=store_url).aliases == ["latest"]
    assert registry.get("demo:0.1.0", store=store_url).aliases == ["production"]
    with pytest.raises(hf.RegistryError, match="'latest' is virtual"):
        registry.set_alias("demo", "latest", "0.1.0", store=store_url)
    with pytest.raises(
        hf.RegistryError, match=r"has no alias 'staging' \(versions: 0.3.0, 0.2.0, 0.1.0"
    ):
        registry.get("demo@staging", store=store_url)


def test_lineage_reaches_run_config_code_data_metrics_env_artifacts(store_url: str) -> None:
    rid = _run(store_url, scale=2.0)
    mv = registry.register(
        "demo",
        run_id=rid,
        predict=models.predict,
        tags={"team": "ml"},
        description="first",
        store=store_url,
    )
    lin = mv.lineage
    assert lin["run_id"] == rid and mv.run_id == rid
    assert lin["config"] == {"model.scale": 2.0}
    assert set(lin["code_versions"]) == {"data", "model", "metrics"}
    assert lin["metrics"] == {"f1": 0.5, "latency_ms": 1.0} == mv.metrics
    assert "python" in json.dumps(lin["environment"]).lower()
    run_art = hf.runs.get(rid, store=store_url).artifacts["model"]
    assert lin["artifacts"]["model"] == run_art.digest == mv.artifacts["model"]["digest"]
    assert mv.predict_ref == "tests.registry.models:predict" and mv.code_version
    assert mv.tags == {"team": "ml"} and mv.description == "first"


def test_search_filters_by_tag_and_metric_with_aliases(store_url: str) -> None:
    for scale, team in ((1.0, "a"), (3.0, "b"), (4.0, "b")):
        registry.register(
            "demo",
            run_id=_run(store_url, scale),
            predict=models.predict,
            tags={"team": team},
            store=store_url,
        )
    registry.set_alias("demo", "production", "0.2.0", store=store_url)
    found = registry.search("demo", where="metrics.f1 > 0.5 and tags.team = 'b'", store=store_url)
    assert [(m.version, m.aliases) for m in found] == [
        ("0.3.0", ["latest"]),
        ("0.2.0", ["production"]),
    ]
    assert [m.version for m in registry.search(tags={"team": "a"}, store=store_url)] == ["0.1.0"]
    assert [m.version for m in registry.search(alias="production", store=store_url)] == ["0.2.0"]


def test_delete_refused_while_aliased_archive_allowed(store_url: str) -> None:
    rid = _run(store_url)
    registry.register("demo", run_id=rid, predict=models.predict, store=store_url)
    registry.register("demo", run_id=rid, predict=models.predict, store=store_url)
    registry.set_alias("demo", "production", "0.1.0", store=store_url)
    with pytest.raises(hf.RegistryError, match=r"cannot delete demo:0.1.0: alias.* production"):
        registry.delete("demo", "0.1.0", store=store_url)
    registry.archive("demo", "0.2.0", store=store_url)
    assert registry.get("demo@latest", store=store_url).version == "0.1.0"
    assert registry.get("demo:0.2.0", store=store_url).status == "archived"
    assert [m.version for m in registry.search("demo", store=store_url)] == ["0.1.0"]
    registry.delete("demo", "0.2.0", store=store_url)
    assert [m.version for m in registry.versions("demo", store=store_url)] == ["0.1.0"]


def test_load_binds_verified_artifacts_and_validates_rows(store_url: str) -> None:
    rid = _run(store_url, scale=2.0)
    registry.register("demo", run_id=rid, predict=models.predict, store=store_url)
    registry.set_alias("demo", "production", "0.1.0", store=store_url)
    predictor = registry.load("demo@production", store=store_url)
    assert predictor.version == "0.1.0" and predictor.alias == "production"
    assert predictor({"x": 3.0, "group": "a"}) == 2.0 * 3.0 + 4.5
    assert predictor([{"x": 0, "group": "a"}, {"x": 1, "group": "b"}]) == [4.5, 6.5]
    with pytest.raises(PredictionInputError, match="invalid input field 'x'"):
        predictor({"x": "three", "group": "a"})


def test_tampered_artifact_is_never_deserialized(store_url: str) -> None:
    rid = _run(store_url)
    mv = registry.register("demo", run_id=rid, predict=models.predict, store=store_url)
    path = Path(get_artifact_store(None).path_of(mv.artifacts["model"]["digest"]))
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(hf.IntegrityError):
        registry.load("demo:0.1.0", store=store_url)


def test_missing_artifact_is_recomputed_and_noted(store_url: str) -> None:
    r = models.train.run(config={"model.scale": 3.0}, outputs=["metrics"], track=store_url)
    with pytest.raises(hf.RegistryError, match=r"has no artifact.*'model'.*pass train="):
        registry.register("demo", run_id=r.run_id, predict=models.predict, store=store_url)
    with pytest.warns(registry.RecomputedArtifactWarning, match=r"recomputed.*'model'"):
        mv = registry.register(
            "demo", run_id=r.run_id, predict=models.predict, train=models.train, store=store_url
        )
    assert mv.lineage["recomputed_artifacts"] == ["model"]
    assert registry.load("demo:0.1.0", store=store_url)({"x": 1.0, "group": "a"}) == 3.0 + 4.5
    assert "model" in hf.runs.get(r.run_id, store=store_url).artifacts


def test_load_in_a_fresh_process_imports_only_the_predict_module(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/hf.db"
    registry.register(
        "demo", run_id=_run(url, 2.0), predict="tests.registry.models:predict", store=url
    )
    registry.set_alias("demo", "production", "0.1.0", store=url)
    code = textwrap.dedent(
        f"""
        import sys, json
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "src")!r}]
        import hyperflow as hf
        p = hf.registry.load("demo@production", store={url!r})
        print(json.dumps([p({{"x": 1.0, "group": "a"}}), "examples.weather" in sys.modules]))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == [6.5, False]


def test_changed_predict_code_warns_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/hf.db"
    pkg = tmp_path / "servedpkg"
    pkg.mkdir()
    module = pkg / "__init__.py"
    src = "import hyperflow as hf\n\ndef prediction(model: dict, x: float) -> float:\n    return model['slope'] * x\n\npredict = hf.Pipeline([prediction], name='p')\n"
    module.write_text(src)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.register("demo", run_id=_run(url), predict="servedpkg:predict", store=url)
    assert registry.load("demo:0.1.0", store=url)({"x": 2.0}) == 2.0
    code = textwrap.dedent(
        f"""
        import sys, warnings
        sys.path[:0] = [{str(tmp_path)!r}, {str(ROOT)!r}, {str(ROOT / "src")!r}]
        import hyperflow as hf
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            hf.registry.load("demo:0.1.0", store={url!r})
        print([str(x.message) for x in w if x.category is hf.registry.CodeVersionWarning])
        """
    )
    module.write_text(src.replace("* x", "* x + 1"))
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    messages = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    assert len(messages) == 1 and "has changed since it was registered" in messages[0]


CONCURRENT = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{root!r}, {src!r}]
    from hyperflow import registry
    for i in range(15):
        registry.set_alias("demo", "production", ["0.1.0", "0.2.0", "0.3.0"][(i + {k}) % 3],
                           reason="proc {k}", store={url!r})
    """
)


@pytest.mark.slow
def test_concurrent_alias_moves_leave_a_consistent_history(store_url: str) -> None:
    rid = _run(store_url)
    for _ in range(3):
        registry.register("demo", run_id=rid, predict=models.predict, store=store_url)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CONCURRENT.format(root=str(ROOT), src=str(ROOT / "src"), k=k, url=store_url),
            ]
        )
        for k in range(2)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    moves = registry.history("demo", "production", store=store_url)
    assert len(moves) == 30  # no lost update
    assert moves[0].from_version is None
    for before, after in itertools.pairwise(moves):
        assert after.from_version == before.to_version  # each move starts where the last ended
    assert registry.get("demo@production", store=store_url).version == moves[-1].to_version
    get_store(store_url).close()

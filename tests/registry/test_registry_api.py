"""Registry calls MLflow users expect: alias removal, archive/delete guards, unknown names,
run ids by prefix, and a visible note when register recomputes an artifact."""

from __future__ import annotations

import pytest

import hyperflow as hf
from hyperflow import registry
from hyperflow.store import QueryError
from tests.registry import models


def _run(store_url: str) -> str:
    return str(models.train.run(outputs=["model", "metrics"], track=store_url).run_id)


def test_register_accepts_a_unique_run_id_prefix(store_url: str) -> None:
    rid = _run(store_url)
    mv = registry.register("demo", run_id=rid[:8], predict=models.predict, store=store_url)
    assert mv.run_id == rid
    with pytest.raises(hf.RegistryError, match="no run 'nope'"):
        registry.register("demo", run_id="nope", predict=models.predict, store=store_url)


def test_remove_alias_is_recorded_in_the_history(store_url: str) -> None:
    registry.register("demo", run_id=_run(store_url), predict=models.predict, store=store_url)
    registry.set_alias("demo", "production", "0.1.0", store=store_url)
    move = registry.remove_alias("demo", "production", reason="retired", store=store_url)
    assert (move.from_version, move.to_version, move.reason) == ("0.1.0", None, "retired")
    assert registry.get("demo:0.1.0", store=store_url).aliases == ["latest"]
    last = registry.history("demo", "production", store=store_url)[-1]
    assert (last.from_version, last.to_version, last.reason) == ("0.1.0", None, "retired")
    with pytest.raises(hf.RegistryError, match=r"no alias 'production'.*aliases: none"):
        registry.remove_alias("demo", "production", store=store_url)
    with pytest.raises(hf.RegistryError, match="'latest' is virtual"):
        registry.remove_alias("demo", "latest", store=store_url)


def test_archive_is_refused_while_an_alias_points_at_the_version(store_url: str) -> None:
    registry.register("demo", run_id=_run(store_url), predict=models.predict, store=store_url)
    registry.set_alias("demo", "production", "0.1.0", store=store_url)
    with pytest.raises(hf.RegistryError, match=r"cannot archive demo:0\.1\.0: .*production"):
        registry.archive("demo", "0.1.0", store=store_url)
    registry.remove_alias("demo", "production", store=store_url)
    registry.archive("demo", "0.1.0", store=store_url)
    assert registry.get("demo:0.1.0", store=store_url).status == "archived"
    with pytest.raises(hf.RegistryError, match=r"no version '9\.9\.9'"):
        registry.delete("demo", "9.9.9", store=store_url)


def test_reads_of_an_unknown_model_name_the_known_ones(store_url: str) -> None:
    registry.register("weather", run_id=_run(store_url), predict=models.predict, store=store_url)
    expected = r"no model 'wether' in the registry; did you mean 'weather'\? \(models: weather\)"
    calls = [
        lambda: registry.get("wether@production", store=store_url),
        lambda: registry.get("wether:1.0.0", store=store_url),
        lambda: registry.versions("wether", store=store_url),
        lambda: registry.history("wether", "production", store=store_url),
        lambda: registry.search("wether", store=store_url),
        lambda: registry.set_alias("wether", "production", "0.1.0", store=store_url),
        lambda: registry.archive("wether", "0.1.0", store=store_url),
        lambda: registry.delete("wether", "0.1.0", store=store_url),
    ]
    for call in calls:
        with pytest.raises(hf.RegistryError, match=expected):
            call()


def test_recomputed_artifact_warns_and_is_noted_under_a_stable_key(store_url: str) -> None:
    r = models.train.run(outputs=["metrics"], track=store_url)
    with pytest.warns(registry.RecomputedArtifactWarning, match=r"recomputed artifact\(s\) 'model'"):
        mv = registry.register(
            "demo", run_id=str(r.run_id), predict=models.predict, train=models.train,
            store=store_url,
        )
    assert mv.lineage["recomputed_artifacts"] == ["model"]
    again = registry.register(
        "demo", run_id=str(r.run_id), predict=models.predict, store=store_url
    )
    assert "recomputed_artifacts" not in again.lineage


def test_search_filters_in_the_store_with_every_operator(store_url: str) -> None:
    rid = _run(store_url)
    for team in ("a", "b"):
        registry.register(
            "demo", run_id=rid, predict=models.predict, tags={"team": team}, store=store_url
        )
    registry.register("demo", run_id=rid, predict=models.predict, version="1.0.0",
                      store=store_url)
    registry.set_alias("demo", "production", "0.2.0", store=store_url)

    def found(where: str) -> list[str]:
        return [m.version for m in registry.search(where=where, store=store_url)]

    assert found("version = '1.0.0'") == ["1.0.0"]
    assert found("version like '0.%'") == ["0.2.0", "0.1.0"]
    assert found("tags.team is null") == ["1.0.0"]
    assert found("tags.team like 'b%' and alias = 'production'") == ["0.2.0"]
    assert found("alias = 'latest' or alias = 'production'") == ["1.0.0", "0.2.0"]
    with pytest.raises(QueryError, match=r"no model version has metric 'acc'.*latency_ms"):
        found("metrics.acc > 0.5")

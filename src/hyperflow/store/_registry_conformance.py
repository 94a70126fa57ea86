"""The conformance suite of :class:`~hyperflow.store.RegistryStore`, run on every backend.

Subclass it in a test module and provide a fresh, empty ``registry_store``::

    class TestMyRegistry(RegistryStoreSuite):
        @pytest.fixture
        def registry_store(self):
            return MyStore(...).registry_store()

Requires pytest.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from hyperflow._errors import RegistryError
from hyperflow.store._query import QueryError
from hyperflow.store._registry_base import (
    AliasAction,
    NewVersion,
    RegistryStore,
    VersionChooser,
    VersionStatus,
)

__all__ = ["RegistryStoreSuite"]


def _fixed(version: str) -> VersionChooser:
    """Always ``version``; its sort key is zero-padded so that text order is numeric order."""
    parts = version.split("-")[0].split(".")
    key = ".".join(f"{int(p):09d}" for p in parts) + ("-" + version if "-" in version else "~")
    return lambda _newest: (version, key)


def _next_patch(newest: str | None) -> tuple[str, str]:
    major, minor, patch = (int(p) for p in (newest or "0.0.0").split("."))
    return _fixed(f"{major}.{minor}.{patch + 1}")(newest)


def _new(**kw: Any) -> NewVersion:
    base: dict[str, Any] = {
        "run_id": "r" * 32,
        "predict_ref": "pkg.mod:predict",
        "code_version": "c1",
        "artifacts": {"model": {"digest": "d" * 64, "format": "pickle", "size": 3, "type": "T"}},
        "lineage": {"config": {"model.C": 0.5}},
        "metrics": {"f1": 0.5},
        "tags": {},
        "created_by": "tester",
    }
    base.update(kw)
    return NewVersion(**base)


class RegistryStoreSuite:
    """The contract of :class:`~hyperflow.store.RegistryStore`; needs ``registry_store``."""

    def test_add_and_read_round_trips_every_field(self, registry_store: RegistryStore) -> None:
        new = _new(tags={"team": "a"}, description="first", metrics={"f1": 0.9, "n": 3})
        assert registry_store.add_version("demo", _fixed("1.0.0"), new) == "1.0.0"
        mv = registry_store.get_version("demo", "1.0.0")
        assert (mv.name, mv.version, mv.run_id, mv.predict_ref) == (
            "demo",
            "1.0.0",
            "r" * 32,
            "pkg.mod:predict",
        )
        assert (mv.tags, mv.metrics, mv.description) == ({"team": "a"}, new.metrics, "first")
        assert mv.artifacts == new.artifacts and mv.lineage == new.lineage
        assert (mv.status, mv.created_by) == (VersionStatus.ACTIVE, "tester")
        assert mv.aliases == ["latest"]
        assert registry_store.models() == ["demo"]

    def test_versions_are_chosen_in_the_transaction_and_immutable(
        self, registry_store: RegistryStore
    ) -> None:
        for _ in range(3):
            registry_store.add_version("demo", _next_patch, _new())
        assert [v.version for v in registry_store.versions("demo")] == ["0.0.3", "0.0.2", "0.0.1"]
        with pytest.raises(RegistryError, match=r"already has version 0\.0\.2.*immutable"):
            registry_store.add_version("demo", _fixed("0.0.2"), _new())

    def test_concurrent_adds_never_collide(self, registry_store: RegistryStore) -> None:
        errors: list[BaseException] = []

        def add() -> None:
            try:
                registry_store.add_version("demo", _next_patch, _new())
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=add) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert len({v.version for v in registry_store.versions("demo")}) == 6

    def test_aliases_move_with_history_and_latest_is_virtual(
        self, registry_store: RegistryStore
    ) -> None:
        for v in ("1.0.0", "1.1.0", "2.0.0-rc.1"):
            registry_store.add_version("demo", _fixed(v), _new())
        assert registry_store.resolve_alias("demo", "latest") == "2.0.0-rc.1"
        registry_store.move_alias("demo", "prod", "1.0.0", reason="first", who="a")
        registry_store.move_alias("demo", "prod", "1.1.0", who="b")
        back = registry_store.move_alias("demo", "prod", "1.0.0", rollback=True, who="c")
        gone = registry_store.move_alias("demo", "prod", None, reason="retired", who="d")
        assert (back.action, gone.action) == (AliasAction.ROLLBACK, AliasAction.REMOVE)
        moves = registry_store.history("demo", "prod")
        assert [(m.from_version, m.to_version, m.who) for m in moves] == [
            (None, "1.0.0", "a"),
            ("1.0.0", "1.1.0", "b"),
            ("1.1.0", "1.0.0", "c"),
            ("1.0.0", None, "d"),
        ]
        assert [m.action for m in moves] == ["set", "set", "rollback", "remove"]
        with pytest.raises(RegistryError, match=r"no alias 'prod'.*versions: 2\.0\.0-rc\.1"):
            registry_store.resolve_alias("demo", "prod")
        with pytest.raises(RegistryError, match="'latest' is virtual"):
            registry_store.move_alias("demo", "latest", "1.0.0")

    def test_archive_and_delete_are_guarded_by_aliases(
        self, registry_store: RegistryStore
    ) -> None:
        for v in ("1.0.0", "1.1.0"):
            registry_store.add_version("demo", _fixed(v), _new())
        registry_store.move_alias("demo", "prod", "1.1.0")
        with pytest.raises(RegistryError, match=r"cannot archive .*alias\(es\) prod point at it"):
            registry_store.set_status("demo", "1.1.0", VersionStatus.ARCHIVED)
        with pytest.raises(RegistryError, match=r"cannot delete .*alias\(es\) prod point at it"):
            registry_store.delete_version("demo", "1.1.0")
        registry_store.set_status("demo", "1.0.0", VersionStatus.ARCHIVED)
        with pytest.raises(RegistryError, match="archived versions take no aliases"):
            registry_store.move_alias("demo", "canary", "1.0.0")
        registry_store.move_alias("demo", "prod", None)
        registry_store.set_status("demo", "1.1.0", VersionStatus.ARCHIVED)
        with pytest.raises(RegistryError, match="no any active version"):
            registry_store.resolve_alias("demo", "latest")
        registry_store.delete_version("demo", "1.0.0")
        assert [v.version for v in registry_store.versions("demo")] == ["1.1.0"]

    def test_unknown_names_are_errors_naming_the_known_ones(
        self, registry_store: RegistryStore
    ) -> None:
        registry_store.add_version("weather", _fixed("1.0.0"), _new())
        hint = r"no model 'wether' in the registry; did you mean 'weather'\?"
        for call in (
            lambda: registry_store.versions("wether"),
            lambda: registry_store.get_version("wether", "1.0.0"),
            lambda: registry_store.resolve_alias("wether", "prod"),
            lambda: registry_store.history("wether", "prod"),
            lambda: registry_store.require_model("wether"),
            lambda: registry_store.search(name="wether"),
        ):
            with pytest.raises(RegistryError, match=hint):
                call()
        with pytest.raises(RegistryError, match=r"no version '9.9.9' \(versions: 1\.0\.0"):
            registry_store.get_version("weather", "9.9.9")

    def _population(self, registry_store: RegistryStore) -> None:
        add = registry_store.add_version
        add("a", _fixed("1.0.0"), _new(metrics={"f1": 0.7}, tags={"team": "x"}))
        add("a", _fixed("1.1.0"), _new(metrics={"f1": 0.9}, tags={"team": "y"}, description="d"))
        add("b", _fixed("0.1.0"), _new(metrics={"f1": 0.8, "auc": 0.6}))
        registry_store.move_alias("a", "production", "1.0.0")

    def _found(self, store: RegistryStore, where: str | None = None, **kw: Any) -> list[str]:
        return [f"{v.name}:{v.version}" for v in store.search(where, **kw)]

    def test_search_evaluates_every_field_and_operator(
        self, registry_store: RegistryStore
    ) -> None:
        self._population(registry_store)
        s = registry_store
        assert self._found(s) == ["a:1.1.0", "a:1.0.0", "b:0.1.0"]
        assert self._found(s, "version = '1.0.0'") == ["a:1.0.0"]
        assert self._found(s, "version like '1.%'") == ["a:1.1.0", "a:1.0.0"]
        assert self._found(s, "version in ('0.1.0', '1.1.0')") == ["a:1.1.0", "b:0.1.0"]
        assert self._found(s, "name = 'b' or metrics.f1 >= 0.9") == ["a:1.1.0", "b:0.1.0"]
        assert self._found(s, "metrics.auc is null") == ["a:1.1.0", "a:1.0.0"]
        assert self._found(s, "metrics.auc is not null") == ["b:0.1.0"]
        assert self._found(s, "tags.team like 'x%'") == ["a:1.0.0"]
        assert self._found(s, "tags.team is null") == ["b:0.1.0"]
        assert self._found(s, "description is null and name = 'a'") == ["a:1.0.0"]
        assert self._found(s, "alias = 'production'") == ["a:1.0.0"]
        assert self._found(s, "alias = 'latest'") == ["a:1.1.0", "b:0.1.0"]
        assert self._found(s, "alias like 'prod%' or alias = 'none'") == ["a:1.0.0"]
        assert self._found(s, "alias is null") == []
        assert self._found(s, "created_at > 0 and run_id = '" + "r" * 32 + "'") == [
            "a:1.1.0",
            "a:1.0.0",
            "b:0.1.0",
        ]
        assert self._found(s, "status = 'archived'") == []

    def test_search_structured_arguments_and_archived(
        self, registry_store: RegistryStore
    ) -> None:
        self._population(registry_store)
        s = registry_store
        assert self._found(s, name="a", tags={"team": "y"}) == ["a:1.1.0"]
        assert self._found(s, alias="production") == ["a:1.0.0"]
        s.move_alias("a", "production", None)
        s.set_status("a", "1.0.0", VersionStatus.ARCHIVED)
        assert self._found(s, "name = 'a'") == ["a:1.1.0"]
        assert self._found(s, "status = 'archived'", include_archived=True) == ["a:1.0.0"]
        found = s.search("name = 'a'", include_archived=True)
        assert [(v.version, v.aliases) for v in found] == [("1.1.0", ["latest"]), ("1.0.0", [])]

    def test_bad_filters_are_query_errors(self, registry_store: RegistryStore) -> None:
        self._population(registry_store)
        with pytest.raises(QueryError, match=r"no model version has metric 'f2'.*exist: auc, f1"):
            registry_store.search("metrics.f2 > 0")
        with pytest.raises(QueryError, match=r"unknown field 'params\.C'"):
            registry_store.search("params.C > 0")
        with pytest.raises(QueryError, match="not semver precedence"):
            registry_store.search("version > '1.0.0'")
        assert registry_store.known_keys("metrics") == ["auc", "f1"]
        assert registry_store.known_keys("tags") == ["team"]

    def test_suite_results_newest_first(self, registry_store: RegistryStore) -> None:
        registry_store.add_version("demo", _fixed("1.0.0"), _new())
        registry_store.record_suite("demo", "1.0.0", "m:s", True, 1.0, '{"n": 1}')
        registry_store.record_suite("demo", "1.0.0", "m:s", False, 0.5, '{"n": 2}')
        got = registry_store.suite_results("demo", "1.0.0")
        assert [(r["passed"], r["pass_rate"], r["result"]) for r in got] == [
            (False, 0.5, {"n": 2}),
            (True, 1.0, {"n": 1}),
        ]
        with pytest.raises(RegistryError, match=r"no version '2\.0\.0'"):
            registry_store.record_suite("demo", "2.0.0", "m:s", True, 1.0, "{}")

    def test_read_records_are_not_changed_by_later_writes(
        self, registry_store: RegistryStore
    ) -> None:
        registry_store.add_version("demo", _fixed("1.0.0"), _new())
        before = registry_store.get_version("demo", "1.0.0")
        registry_store.move_alias("demo", "prod", "1.0.0")
        registry_store.add_version("demo", _fixed("1.1.0"), _new())
        assert before.aliases == ["latest"]
        assert registry_store.get_version("demo", "1.0.0").aliases == ["prod"]

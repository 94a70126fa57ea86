"""``hyperflow traffic NAME``: show, ``--set``, ``--clear``; bad input is a clear error."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import hyperflow as hf
from hyperflow.cli import app, main
from tests.serve.traffic_models import two_versions

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_show_set_and_clear_a_policy() -> None:
    two_versions()
    assert json.loads(_ok(["traffic", "visit", "--json"]))["policy"] is None
    shown = json.loads(
        _ok(["traffic", "visit", "--set", "production=90, candidate=10", "--shadow", "candidate",
             "--sticky", "user", "--reason", "step 1", "--json"])
    )
    assert shown["weights"] == {"production": 90.0, "candidate": 10.0}
    assert (shown["shadow"], shown["sticky"], shown["cause"]) == ("candidate", "user", "step 1")
    policy = hf.registry.traffic("visit")
    assert policy is not None and policy.weights == shown["weights"]
    assert "candidate" in _ok(["traffic", "visit"])  # the table for people
    _ok(["traffic", "visit", "--clear"])
    assert hf.registry.traffic("visit") is None
    assert [e.action for e in hf.registry.audit_log(action="traffic.")] == [
        "traffic.set", "traffic.clear",
    ]


def test_bad_input_is_an_error_with_the_fix(capsys: object) -> None:
    two_versions()
    cases = [
        (["traffic", "visit", "--set", "production=90,candidat=10"], "did you mean 'candidate'"),
        (["traffic", "visit", "--set", "production=90,candidate=20"], "sum to 100"),
        (["traffic", "visit", "--set", "production:90"], "ALIAS=PERCENT"),
        (["traffic", "visit", "--shadow", "candidate"], "only applies with --set"),
        (["traffic", "visit", "--clear", "--set", "production=100"], "exclude each other"),
        (["traffic", "visits"], "did you mean 'visit'"),
    ]
    for args, message in cases:
        assert main(args) == 1, args
        assert message in capsys.readouterr().err, args  # type: ignore[attr-defined]
    assert hf.registry.traffic("visit") is None

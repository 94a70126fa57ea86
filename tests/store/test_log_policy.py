"""The prediction-log policy: parsing, errors with did-you-mean, what each action stores."""

from __future__ import annotations

import pytest

import hyperflow as hf
from hyperflow.store._log_policy import LogPolicy, parse_duration


def test_each_action_applied_to_rows_and_batches() -> None:
    policy = LogPolicy.from_config(
        {"fields": {"email": "hash", "name": "drop", "note": "truncate:3", "age": "keep"}},
        env={"HYPERFLOW_LOG_KEY": "k"},
    )
    row = {"email": "a@b", "name": "Ann", "note": "abcdef", "age": 3, "other": None}
    out = policy.apply(row)
    assert out["email"].startswith("hmac:") and out["email"] == policy.hash_value("a@b")
    assert "name" not in out and out["note"] == "abc" and out["age"] == 3 and out["other"] is None
    assert policy.apply([row, row]) == [out, out]
    other = LogPolicy.from_config({"fields": {"email": "hash"}}, env={"HYPERFLOW_LOG_KEY": "k2"})
    assert other.hash_value("a@b") != out["email"]  # keyed: another key, another hash
    assert policy.apply("a text input") == "a text input"


@pytest.mark.parametrize(
    ("section", "env", "message"),
    [
        ({"fields": {"email": "hsah"}}, {}, r"did you mean 'hash'"),
        ({"fields": {"note": "truncate"}}, {}, r"truncate takes a length"),
        ({"fields": {"email": "drop:3"}}, {}, r"takes no ':' part"),
        ({"fields": {"email": "hash"}}, {}, r"\$HYPERFLOW_LOG_KEY is not set"),
        ({"feilds": {}}, {}, r"unknown key 'feilds'.*did you mean 'fields'"),
        ({"max_age": "soon"}, {}, r"max_age takes a positive duration"),
        ({"fields": ["email"]}, {}, r"fields must be a table"),
    ],
)
def test_bad_policies_are_clear_errors(
    section: dict[str, object], env: dict[str, str], message: str
) -> None:
    with pytest.raises(hf.ConfigError, match=message):
        LogPolicy.from_config(section, env=env)


def test_unknown_field_names_the_inputs() -> None:
    policy = LogPolicy.from_config({"fields": {"emial": "drop"}}, env={})
    with pytest.raises(hf.ConfigError, match=r"did you mean 'email'.*inputs: email, age"):
        policy.check_fields(["email", "age"])
    policy.check_fields(["emial"])


def test_durations() -> None:
    assert parse_duration("30d") == 30 * 86400 and parse_duration("1.5h") == 5400
    assert parse_duration("2w") == 14 * 86400 and parse_duration(10) == 10.0
    with pytest.raises(hf.ConfigError):
        parse_duration("0d")

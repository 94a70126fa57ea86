"""``hf.Service``: what a service definition accepts and the errors that name the problem."""

from __future__ import annotations

import pytest

import hyperflow as hf


def _echo(text: str) -> str:
    return text


ECHO = hf.Pipeline([_echo], name="echo")


def test_a_service_keeps_its_endpoints_and_batching() -> None:
    svc = hf.Service("docs", endpoints={"echo": ECHO}, batching={"echo": {"max_batch_size": 4}})
    assert list(svc.endpoints) == ["echo"]
    assert svc.batching["echo"] == hf.Batching(4, None)
    assert repr(svc) == "Service('docs', endpoints=['echo'])"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"endpoints": {}}, "at least one endpoint"),
        ({"endpoints": {"Echo": ECHO}}, "not a lower-case identifier"),
        ({"endpoints": {"predict": ECHO}}, "is reserved"),
        ({"endpoints": {"echo": _echo}}, "must be an hf.Pipeline"),
        ({"endpoints": {"echo": ECHO}, "batching": {"ecko": {}}}, "did you mean 'echo'"),
        ({"endpoints": {"echo": ECHO}, "batching": {"echo": {"max_batch": 2}}},
         "did you mean 'max_batch_size'"),
        ({"endpoints": {"echo": ECHO}, "batching": {"echo": {"max_batch_size": 0}}}, ">= 1"),
        ({"endpoints": {"echo": ECHO}, "max_upload_bytes": 0}, "max_upload_bytes"),
    ],
)
def test_bad_definitions_are_refused_naming_the_problem(kwargs: dict, words: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(hf.DefinitionError, match=words.replace("(", r"\(")):
        hf.Service("docs", **kwargs)


def test_a_bad_service_name_is_refused() -> None:
    with pytest.raises(hf.DefinitionError, match="service name"):
        hf.Service("a/b", endpoints={"echo": ECHO})

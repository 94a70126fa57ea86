"""Registering an ``hf.Service`` like a model: its endpoints are recorded, artifacts bind
to the endpoints that take them, and ``load`` gives a client with a method per endpoint."""

from __future__ import annotations

import pytest

import hyperflow as hf
from tests.serve.toy_service import VOCABULARY, register_toy


def test_a_registered_service_records_its_endpoints_and_loads_as_a_client() -> None:
    version = register_toy()
    mv = hf.registry.get("toy@production")
    assert mv.version == version
    assert mv.predict_ref == "tests.serve.toy_service:toy"
    assert mv.lineage["predict"]["endpoints"] == [
        "upload_document", "query_document", "delete_document", "embed",
    ]
    svc = hf.registry.load("toy@production")
    assert isinstance(svc, hf.registry.ServiceClient)
    assert (svc.name, svc.version, svc.alias) == ("toy", version, "production")
    bound = {ep: sorted(p.artifacts) for ep, p in svc.endpoints.items()}
    assert bound == {
        "upload_document": ["dims", "state"], "query_document": ["dims", "state"],
        "delete_document": ["state"], "embed": ["dims"],
    }
    assert svc.endpoints["query_document"].name == "toy/query_document"
    assert len(svc.embed(text="bread")) == len(VOCABULARY)


def test_an_artifact_no_endpoint_takes_is_refused() -> None:
    from tests.serve.toy_service import toy

    with hf.start_run("toy-fit") as run:
        run.log_artifact(3, "model")
    with pytest.raises(hf.RegistryError, match=r"service 'toy' has no input\(s\) \['model'\]"):
        hf.registry.register("toy", run_id=run.id, predict=toy, artifacts=["model"])


def test_a_service_is_not_served_as_a_single_pipeline_model_source() -> None:
    register_toy()
    with pytest.raises(hf.RegistryError, match="is a service"):
        hf.registry.source("toy@production").load()

"""One conformance suite per kind of store, run against every backend (see conftest)."""

from hyperflow.store.conformance import ArtifactStoreSuite, MetadataStoreSuite


class TestMetadataStore(MetadataStoreSuite):
    """SQLite file and a real PostgreSQL server."""


class TestArtifactStore(ArtifactStoreSuite):
    """Local directory and a real moto S3 server."""

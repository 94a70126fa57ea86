"""Deprecated alias of :mod:`hyperflow.store.conformance` (removed in the next release).

The store conformance suites and test servers moved to ``hyperflow.store.conformance``,
so that ``hyperflow.testing`` (behavioural tests of models) is the only "testing".
Importing this module warns with a ``DeprecationWarning`` and re-exports the same names.
"""

import warnings

from hyperflow.store.conformance import (
    DEFAULT_TEST_POSTGRES_URL,
    ArtifactStoreSuite,
    MetadataStoreSuite,
    moto_s3,
    postgres_schema_url,
)

__all__ = [
    "DEFAULT_TEST_POSTGRES_URL",
    "ArtifactStoreSuite",
    "MetadataStoreSuite",
    "moto_s3",
    "postgres_schema_url",
]

warnings.warn(
    "hyperflow.store.testing is deprecated and will be removed in the next release; "
    "import from hyperflow.store.conformance instead (same names)",
    DeprecationWarning,
    stacklevel=2,
)

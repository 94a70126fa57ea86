"""Optional signing of registered versions: an HMAC-SHA256 manifest with a configured key.

With ``$HYPERFLOW_SIGNING_KEY`` set (or the variable that ``[tool.hyperflow]
signing_key_env`` names), ``register`` signs a manifest of the version: model
name, predict pipeline reference and code version, and every artifact's sha256
and format. The signature is kept with the version's lineage. With the key set,
``load`` (and so serving) verifies it before any artifact is read: changing an
artifact's bytes *and* its hash in the database, pointing the version at other
code, or removing the signature, is refused, because forging a signature needs
the key, which is not in the database. Without a key nothing is signed or checked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

from hyperflow._errors import IntegrityError

__all__ = ["SIGNATURE_KEY", "sign_manifest", "signing_key", "verify_signature"]

SIGNATURE_KEY = "signature"
DEFAULT_KEY_ENV = "HYPERFLOW_SIGNING_KEY"


def signing_key() -> bytes | None:
    """The configured signing key, or ``None`` (signing off)."""
    from hyperflow.store import project_config

    env_name = str(project_config().get("signing_key_env") or DEFAULT_KEY_ENV)
    key = os.environ.get(env_name)
    return key.encode() if key else None


def _manifest(
    name: str, predict_ref: str, code_version: str | None, artifacts: Mapping[str, Any]
) -> bytes:
    doc = {
        "name": name,
        "predict_ref": predict_ref,
        "code_version": code_version,
        "artifacts": {
            a: {"digest": v["digest"], "format": v["format"]} for a, v in sorted(artifacts.items())
        },
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"hyperflow-key-id:" + key).hexdigest()[:12]


def sign_manifest(
    key: bytes,
    name: str,
    predict_ref: str,
    code_version: str | None,
    artifacts: Mapping[str, Any],
) -> dict[str, str]:
    """The signature record kept in the lineage: algorithm, key id and MAC."""
    mac = hmac.new(key, _manifest(name, predict_ref, code_version, artifacts), hashlib.sha256)
    return {"alg": "hmac-sha256", "key_id": _key_id(key), "mac": mac.hexdigest()}


def verify_signature(
    key: bytes,
    ref: str,
    name: str,
    predict_ref: str,
    code_version: str | None,
    artifacts: Mapping[str, Any],
    lineage: Mapping[str, Any],
) -> None:
    """Raise ``IntegrityError`` unless the version carries a valid signature for ``key``."""
    record = lineage.get(SIGNATURE_KEY)
    if not isinstance(record, Mapping) or "mac" not in record:
        raise IntegrityError(
            f"{ref} is not signed, but a signing key is configured: refused, nothing was "
            "loaded; register it again with the key set (or unset the key to load unsigned "
            "versions)"
        )
    if record.get("key_id") != _key_id(key):
        raise IntegrityError(
            f"{ref} was signed with another key (key id {record.get('key_id')}, configured "
            f"{_key_id(key)}): refused, nothing was loaded"
        )
    expected = sign_manifest(key, name, predict_ref, code_version, artifacts)["mac"]
    if not hmac.compare_digest(expected, str(record["mac"])):
        raise IntegrityError(
            f"{ref}'s signature does not match its artifacts and code: the version was changed "
            "after it was registered (check who can write the metadata database and the "
            "artifact store); refused, nothing was loaded"
        )

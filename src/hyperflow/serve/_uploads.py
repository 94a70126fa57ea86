"""File inputs of service endpoints: ``bytes`` fields arrive as multipart uploads.

An endpoint whose row has a field annotated ``bytes`` takes ``multipart/form-data``:
each ``bytes`` field is a file part, the other fields are form fields (validated
like JSON fields, text coerced to the declared type). A file part larger than the
service's ``max_upload_bytes`` is refused with 413, an empty one with 422, both
naming the field. Inputs named ``filename`` or ``content_type`` that the form leaves
out are filled from the (first) uploaded file. The prediction log records each file
as its name, size and SHA-256, never its bytes.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request

__all__ = ["FILE_META", "UploadedFile", "file_fields", "log_row", "multipart_body", "read_form"]

#: inputs filled from the uploaded file when the form leaves them out
FILE_META = ("filename", "content_type")


@dataclass(frozen=True)
class UploadedFile:
    """What the log keeps of an uploaded file."""

    field: str
    filename: str | None
    content_type: str | None
    size: int
    sha256: str


def file_fields(fields: dict[str, Any]) -> list[str]:
    """The row fields that are files (annotated ``bytes``)."""
    return [k for k, tp in fields.items() if tp is bytes or tp == bytes | None]


def multipart_body(
    fields: dict[str, Any], files: list[str], row_schema: dict[str, Any], limit: int
) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a multipart endpoint (files as binary strings)."""
    props = dict(row_schema.get("properties", {}))
    for f in files:
        props[f] = {
            "type": "string",
            "format": "binary",
            "description": f"a file of 1 to {limit} bytes",
        }
    schema = {
        "type": "object",
        "properties": props,
        "required": [  # filename/content_type default to the uploaded file's
            k for k in row_schema.get("required", []) if k in fields and k not in FILE_META
        ],
    }
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def _is_multipart(request: Request) -> bool:
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    return media == "multipart/form-data"


async def read_form(
    request: Request, fields: dict[str, Any], files: list[str], limit: int
) -> tuple[dict[str, Any], list[UploadedFile]]:
    """The row from a multipart request (files as bytes) and what to log of each file."""
    if not _is_multipart(request):
        raise HTTPException(
            415,
            f"this endpoint takes file uploads: send multipart/form-data with file part(s) "
            f"{files}, but the request says {request.headers.get('content-type') or 'nothing'!r}",
        )
    form = await request.form(max_files=len(files), max_fields=len(fields) + 8)
    unknown = sorted(k for k in form if k not in fields)
    if unknown:
        raise HTTPException(
            422, f"unknown form field(s) {unknown}; this endpoint takes {sorted(fields)}"
        )
    row: dict[str, Any] = {}
    seen: list[UploadedFile] = []
    for key, value in form.multi_items():
        if key in files:
            row[key], meta = await _file(key, value, limit)
            seen.append(meta)
        elif isinstance(value, str):
            row[key] = value
        else:
            raise HTTPException(422, f"form field {key!r} is text, but a file was sent")
    missing = [f for f in files if f not in row]
    if missing:
        raise HTTPException(
            422, f"file field(s) {missing} missing: send each as a multipart file part"
        )
    if seen:
        first = seen[0]
        for attr in FILE_META:
            if attr in fields and attr not in row and getattr(first, attr) is not None:
                row[attr] = getattr(first, attr)
    return row, seen


async def _file(key: str, value: Any, limit: int) -> tuple[bytes, UploadedFile]:
    read = getattr(value, "read", None)
    if read is None:
        raise HTTPException(
            422, f"field {key!r} must be a file part (with a filename), but text was sent"
        )
    data = await read(limit + 1)
    name = getattr(value, "filename", None)
    if len(data) > limit:
        raise HTTPException(
            413, f"file {name or key!r} in field {key!r} exceeds {limit} bytes (max_upload_bytes)"
        )
    if not data:
        raise HTTPException(422, f"file {name or key!r} in field {key!r} is empty (0 bytes)")
    meta = UploadedFile(
        key, name, getattr(value, "content_type", None), len(data),
        hashlib.sha256(data).hexdigest(),
    )
    return data, meta


def log_row(row: Any, uploads: list[UploadedFile]) -> Any:
    """The row as logged: each file replaced by its name, size and SHA-256."""
    if not uploads or not isinstance(row, dict):
        return row
    out = dict(row)
    for u in uploads:
        out[u.field] = {"filename": u.filename, "bytes": u.size, "sha256": u.sha256}
    return out

"""Request and response models generated from a predictor's ``RowSchema``.

Bodies are validated straight from bytes (pydantic's JSON parser), which is
faster than FastAPI's body injection; the OpenAPI document still describes
every model (``components``), so clients and fuzzers see the typed contract.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from hyperflow._errors import ServeError
from hyperflow.registry import RowSchema

__all__ = ["ApiModels", "InvalidBody", "build_models"]


class InvalidBody(Exception):
    """A request body failed validation; ``errors`` are FastAPI-style (``loc`` from ``body``)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["msg"] if errors else "invalid body")
        self.errors = errors


@dataclass(frozen=True)
class ApiModels:
    """The pydantic models of one service, their validators and their JSON schemas."""

    row: Any
    prediction: Any
    batch_prediction: Any
    feedback: Any
    output_type: Any
    structured_row: bool
    row_adapter: Any
    batch_adapter: Any
    feedback_adapter: Any
    components: dict[str, Any]

    def ref(self, model: Any) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def parse(self, adapter: Any, raw: bytes) -> Any:
        """Validate a JSON body; raises ``InvalidBody`` with field-level errors."""
        from pydantic import ValidationError

        try:
            return adapter.validate_json(raw)
        except ValidationError as exc:
            raise InvalidBody(
                [
                    {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                    for e in exc.errors(include_url=False, include_input=False)
                ]
            ) from None

    def to_row(self, schema: RowSchema, body: Any) -> Any:
        """The pipeline's row for a validated request body."""
        data = body.model_dump()
        if self.structured_row:
            return schema.adapter().validate_python(data)
        return data


def _json_type(tp: Any, what: str) -> Any:
    from pydantic import TypeAdapter

    if tp is Any:
        return Any
    try:
        TypeAdapter(tp).json_schema()
    except Exception as exc:
        raise ServeError(
            f"{what} is annotated {tp!r}, which has no JSON form; annotate it with JSON-able "
            "types (str, int, float, bool, lists, dicts, TypedDicts, dataclasses, pydantic "
            f"models) ({type(exc).__name__}: {exc})"
        ) from None
    return tp


def build_models(schema: RowSchema, name: str) -> ApiModels:
    """Generate the service's models; raises ``ServeError`` naming a field without JSON form."""
    from pydantic import ConfigDict, Field, TypeAdapter, create_model
    from pydantic.json_schema import models_json_schema

    required = getattr(schema.row_type, "__required_keys__", set(schema.fields))
    fields: dict[str, Any] = {}
    for key, tp in schema.fields.items():
        t = _json_type(tp, f"input field {key!r}")
        fields[key] = (t, ...) if key in required else (t | None, None)
    title = getattr(schema.row_type, "__name__", None) or f"{_camel(name)}Row"
    row: Any = create_model(title, __config__=ConfigDict(extra="forbid", title=title), **fields)
    out = _json_type(schema.output_type, f"the output {schema.output!r}")
    out_t: Any = out | None if out is not Any else Any
    prediction: Any = create_model(
        "Prediction",
        request_id=(str, ...),
        model=(str, ...),
        version=(str | None, ...),
        prediction=(out_t, ...),
    )
    batch_prediction: Any = create_model(
        "BatchPrediction",
        request_id=(str, ...),
        request_ids=(list[str], ...),
        model=(str, ...),
        version=(str | None, ...),
        predictions=(list[out_t], ...),
    )
    feedback: Any = create_model(
        "Feedback",
        __config__=ConfigDict(extra="forbid"),
        request_id=(str, Field(min_length=1, max_length=200)),
        ground_truth=(out, ...),
    )
    _, top = models_json_schema(
        [
            (row, "validation"),
            (prediction, "serialization"),
            (batch_prediction, "serialization"),
            (feedback, "validation"),
        ],
        ref_template="#/components/schemas/{model}",
    )
    structured = schema.row_type is not None and not typing.is_typeddict(schema.row_type)
    return ApiModels(
        row,
        prediction,
        batch_prediction,
        feedback,
        out,
        structured,
        TypeAdapter(row),
        TypeAdapter(list[row]),
        TypeAdapter(feedback),
        top.get("$defs", {}),
    )


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.replace("-", "_").split("_") if p)

"""Request and response models generated from a predictor's ``RowSchema``.

Bodies are validated straight from bytes (pydantic's JSON parser), which is
faster than FastAPI's body injection; the OpenAPI document still describes
every model (``components``), so clients and fuzzers see the typed contract.
Validation is strict JSON: ``NaN``, ``Infinity`` and overflowing numbers are
refused, and no type is coerced from another (``false`` is not a number,
``"1"`` not an integer). An input with a default may be left out.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Annotated, Any

from hyperflow._errors import ServeError
from hyperflow.registry import Predictor, RowSchema

__all__ = [
    "MAX_ERRORS",
    "ApiModels",
    "InvalidBody",
    "TooManyRows",
    "build_models",
    "input_defaults",
]

MAX_ERRORS = 20
"""Validation errors reported per response at most (the count says how many there were)."""


class InvalidBody(Exception):
    """A request body failed validation; ``errors`` are FastAPI-style (``loc`` from ``body``)."""

    def __init__(self, errors: list[dict[str, Any]], total: int | None = None) -> None:
        super().__init__(errors[0]["msg"] if errors else "invalid body")
        self.errors = errors
        self.total = len(errors) if total is None else total


class TooManyRows(Exception):
    """A batch longer than the schema allows (``maxItems``)."""

    def __init__(self, rows: int, limit: int) -> None:
        super().__init__(
            f"a batch holds at most {limit} rows, but got {rows}; split it or raise max_batch_rows"
        )
        self.rows, self.limit = rows, limit


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
    optional: frozenset[str] = frozenset()
    batch_max: int | None = None

    def ref(self, model: Any) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def parse(self, adapter: Any, raw: bytes) -> Any:
        """Validate a JSON body; raises ``InvalidBody`` with field-level errors."""
        from pydantic import ValidationError

        try:
            return adapter.validate_json(raw, strict=True)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            if errors[0]["type"] == "too_long" and errors[0]["loc"] == ():
                ctx = errors[0].get("ctx", {})
                raise TooManyRows(ctx.get("actual_length", 0), ctx.get("max_length", 0)) from None
            raise InvalidBody(
                [
                    {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                    for e in errors[:MAX_ERRORS]
                ],
                exc.error_count(),
            ) from None

    def to_row(self, schema: RowSchema, body: Any) -> Any:
        """The pipeline's row for a validated request body."""
        # inputs left out keep the pipeline's defaults
        data = body.model_dump(exclude_unset=bool(self.optional))
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


def input_defaults(predictor: Predictor) -> dict[str, Any]:
    """Row fields the pipeline has defaults for (plain-field rows only)."""
    schema, pipeline = predictor.schema, predictor.pipeline
    if schema.row_type is not None or schema.row_input is not None:
        return {}
    out: dict[str, Any] = {}
    for key in schema.fields:
        if key in pipeline.optional_inputs:
            for node in pipeline.nodes.values():
                defaults = getattr(node, "defaults", {})
                if key in defaults:
                    out[key] = defaults[key]
                    break
    return out


def _row_fields(schema: RowSchema, defaults: dict[str, Any]) -> dict[str, Any]:
    from pydantic import Field

    required = getattr(schema.row_type, "__required_keys__", set(schema.fields))
    fields: dict[str, Any] = {}
    for key, tp in schema.fields.items():
        t = _json_type(tp, f"input field {key!r}")
        if key in defaults:  # an input with a default: optional, the default documented
            fields[key] = (t, Field(default=_documentable(defaults[key])))
        else:
            fields[key] = (t, ...) if key in required else (t | None, None)
    return fields


def _documentable(value: Any) -> Any:
    """The default as shown in the schema (``None`` when it has no JSON form)."""
    import json

    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return value


def _response_models(out: Any) -> tuple[Any, Any]:
    """The ``Prediction`` and ``BatchPrediction`` response models for output type ``out``."""
    from pydantic import create_model

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
    return prediction, batch_prediction


def build_models(
    schema: RowSchema,
    name: str,
    *,
    defaults: dict[str, Any] | None = None,
    max_batch_rows: int | None = None,
) -> ApiModels:
    """Generate the service's models; raises ``ServeError`` naming a field without JSON form.

    ``defaults``: inputs the pipeline has defaults for (optional in the request);
    ``max_batch_rows``: the longest batch (``maxItems`` of ``/predict/batch``).
    """
    from pydantic import ConfigDict, Field, TypeAdapter, create_model
    from pydantic.json_schema import models_json_schema

    defaults = defaults or {}
    strict = ConfigDict(extra="forbid", allow_inf_nan=False)
    title = getattr(schema.row_type, "__name__", None) or f"{_camel(name)}Row"
    row: Any = create_model(
        title, __config__=ConfigDict(**strict, title=title), **_row_fields(schema, defaults)
    )
    out = _json_type(schema.output_type, f"the output {schema.output!r}")
    prediction, batch_prediction = _response_models(out)
    feedback: Any = create_model(
        "Feedback",
        __config__=strict,
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
        TypeAdapter(Annotated[list[row], Field(max_length=max_batch_rows)]),
        TypeAdapter(feedback),
        top.get("$defs", {}),
        frozenset(defaults),
        max_batch_rows,
    )


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.replace("-", "_").split("_") if p)

"""``Predictor``: an inference pipeline with the fitted artifacts of one run bound in.

The row schema comes from the predict pipeline's type hints. Free inputs that
are not artifacts form one *row*:

* a single input annotated with a ``TypedDict``, dataclass or pydantic model:
  the row is that structure (``def prediction(model, day: WeatherDay)``);
* otherwise each free input is one field of the row
  (``def price(model, rooms: int, area: float)``).

Annotating the single row input as ``list[T]`` declares the pipeline
*batchable*: it receives many rows at once and returns one value per row,
which is what serving's micro-batching coalesces requests into.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from hyperflow._errors import PredictionInputError, RegistryError
from hyperflow.core import FunctionNode, Pipeline

__all__ = ["ModelSource", "PredictionInputError", "Predictor", "RowSchema", "StaticSource"]


def _is_structured(tp: Any) -> bool:
    if isinstance(tp, type):
        if typing.is_typeddict(tp):
            return True
        if hasattr(tp, "__dataclass_fields__") or hasattr(tp, "model_fields"):
            return True
    return False


@dataclass(frozen=True)
class RowSchema:
    """How one row looks and how it feeds the pipeline.

    Attributes:
        fields: field name -> annotation of one row.
        row_type: the structured type of a row (``None`` when fields are inputs).
        row_input: the pipeline input receiving a structured row (or ``None``).
        batchable: ``True`` when the row input is annotated ``list[T]``.
        output: the pipeline output a prediction returns.
        output_type: its return annotation.
    """

    fields: dict[str, Any]
    row_type: Any
    row_input: str | None
    batchable: bool
    output: str
    output_type: Any
    _adapter: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def of(
        cls, pipeline: Pipeline, artifacts: Sequence[str], output: str | None = None
    ) -> RowSchema:
        if output is None:
            if len(pipeline.sinks) != 1:
                raise RegistryError(
                    f"predict pipeline {pipeline.name!r} has {len(pipeline.sinks)} final outputs "
                    f"({list(pipeline.sinks)}); name the one to serve with output=..."
                )
            output = pipeline.sinks[0]
        annotations: dict[str, Any] = {}
        for n in pipeline.nodes.values():
            for p in n.dependencies:
                if p in pipeline.inputs and p not in annotations:
                    annotations[p] = n.types.get(p, Any)
        producer = pipeline.producers[output][0]
        out_type = producer.return_type if isinstance(producer, FunctionNode) else Any
        free = [i for i in pipeline.inputs if i not in set(artifacts)]
        if len(free) == 1:
            tp = annotations[free[0]]
            batch = typing.get_origin(tp) is list and len(typing.get_args(tp)) == 1
            inner = typing.get_args(tp)[0] if batch else tp
            if batch and typing.get_origin(out_type) is list and typing.get_args(out_type):
                out_type = typing.get_args(out_type)[0]
            if _is_structured(inner):
                hints = typing.get_type_hints(inner)
                if hasattr(inner, "model_fields"):
                    hints = {k: f.annotation for k, f in inner.model_fields.items()}
                return cls(hints, inner, free[0], batch, output, out_type)
            if batch:
                return cls({free[0]: inner}, None, free[0], True, output, out_type)
        return cls({f: annotations[f] for f in free}, None, None, False, output, out_type)

    def adapter(self) -> Any:
        """A pydantic ``TypeAdapter`` validating one row (built once)."""
        if self._adapter is None:
            from pydantic import TypeAdapter, create_model

            if self.row_type is not None and not typing.is_typeddict(self.row_type):
                adapter: Any = TypeAdapter(self.row_type)
            else:  # plain fields, or a typing.TypedDict (pydantic wants typing_extensions' on 3.11)
                required = getattr(self.row_type, "__required_keys__", set(self.fields))
                model = create_model(  # type: ignore[call-overload]
                    "Row",
                    **{k: (v, ... if k in required else None) for k, v in self.fields.items()},
                )
                adapter = _DictAdapter(TypeAdapter(model))
            object.__setattr__(self, "_adapter", adapter)
        return self._adapter

    def validate(self, row: Any) -> Any:
        """Return the row coerced to its declared types, or raise ``PredictionInputError``."""
        from pydantic import ValidationError

        structured = hasattr(row, "__dataclass_fields__") or (
            self.row_type is not None
            and isinstance(self.row_type, type)
            and not typing.is_typeddict(self.row_type)
            and isinstance(row, self.row_type)
        )
        if not isinstance(row, Mapping) and not structured:
            raise PredictionInputError(
                f"a row must be a mapping of {sorted(self.fields)}, but got {type(row).__name__}",
                [{"field": None, "message": "expected an object", "input": repr(row)[:200]}],
            )
        try:
            value = self.adapter().validate_python(row)
        except ValidationError as exc:
            errors = [
                {
                    "field": ".".join(str(p) for p in e["loc"]) or None,
                    "message": e["msg"],
                    "input": repr(e.get("input"))[:200],
                }
                for e in exc.errors()
            ]
            first = errors[0]
            raise PredictionInputError(
                f"invalid input field {first['field']!r}: {first['message']} "
                f"(got {first['input']}); expected fields "
                + ", ".join(f"{k}: {_tname(v)}" for k, v in self.fields.items()),
                errors,
            ) from None
        return value


class _DictAdapter:
    """Validates through a generated pydantic model and hands back a plain dict."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def validate_python(self, row: Any) -> dict[str, Any]:
        out: dict[str, Any] = self.inner.validate_python(row).model_dump()
        return out


def _tname(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else repr(tp).replace("typing.", "")


class Predictor:
    """Call a predict pipeline on rows, with artifacts bound.

    Args:
        pipeline: the inference pipeline.
        artifacts: values bound to pipeline inputs (``{"model": fitted}``).
        output: the output to return (default: the pipeline's single final output).
        name, version, alias, code_version: identity, reported by serving.

    Example:
        >>> import hyperflow as hf
        >>> from hyperflow.registry import Predictor
        >>> def doubled(scale: float, x: float) -> float:
        ...     return scale * x
        >>> p = Predictor(hf.Pipeline([doubled], name="p"), {"scale": 2.0})
        >>> p({"x": 1.5}), p([{"x": 1}, {"x": 2}])
        (3.0, [2.0, 4.0])
    """

    def __init__(
        self,
        pipeline: Pipeline,
        artifacts: Mapping[str, Any],
        *,
        output: str | None = None,
        name: str | None = None,
        version: str | None = None,
        alias: str | None = None,
        code_version: str | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.artifacts = dict(artifacts)
        self.schema = RowSchema.of(pipeline, list(self.artifacts), output)
        self.name = name or pipeline.name
        self.version = version
        self.alias = alias
        self.code_version = code_version

    def __repr__(self) -> str:
        ref = f"{self.name}:{self.version}" if self.version else self.name
        return f"Predictor({ref!r}, fields={list(self.schema.fields)})"

    @property
    def batchable(self) -> bool:
        return self.schema.batchable

    def _inputs(self, rows: list[Any]) -> dict[str, Any]:
        s = self.schema
        inputs = dict(self.artifacts)
        if s.batchable:
            inputs[s.row_input or ""] = rows
        elif s.row_input is not None:
            inputs[s.row_input] = rows[0]
        else:
            row = rows[0]
            inputs.update(row if isinstance(row, Mapping) else vars(row))
        return inputs

    def _run(self, inputs: dict[str, Any]) -> Any:
        # never cached: a prediction is computed fresh (and the model not fingerprinted per call)
        return self.pipeline.run(
            inputs=inputs, outputs=[self.schema.output], track=False, cache=False
        )[self.schema.output]

    def predict_one(self, row: Any, *, validate: bool = True) -> Any:
        """The pipeline's output for one row."""
        value = self.schema.validate(row) if validate else row
        if self.schema.batchable:
            return next(iter(self._run(self._inputs([value]))))
        return self._run(self._inputs([value]))

    def predict_many(self, rows: Sequence[Any], *, validate: bool = True) -> list[Any]:
        """One output per row; a batchable pipeline is called once for all rows."""
        values = [self.schema.validate(r) if validate else r for r in rows]
        if not values:
            return []
        if self.schema.batchable:
            out = list(self._run(self._inputs(values)))
            if len(out) != len(values):
                raise RegistryError(
                    f"batchable pipeline {self.pipeline.name!r} returned {len(out)} values for "
                    f"{len(values)} rows; it must return one value per row"
                )
            return out
        return [self._run(self._inputs([v])) for v in values]

    def __call__(self, rows: Any) -> Any:
        """A row (mapping) gives one value; a list of rows or a DataFrame gives a list."""
        if isinstance(rows, Mapping):
            return self.predict_one(rows)
        if hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # a DataFrame
            return self.predict_many(rows.to_dict(orient="records"))
        if isinstance(rows, list | tuple):
            return self.predict_many(list(rows))
        return self.predict_one(rows)


@runtime_checkable
class ModelSource(Protocol):
    """Where a served model comes from; serving polls ``current()`` to hot-reload.

    ``current()`` is cheap and names what the reference points to now (e.g. the
    version an alias targets); when it changes, ``load()`` builds the new
    ``Predictor``. The registry's ``name@alias`` references implement this.
    """

    def current(self) -> str: ...

    def load(self) -> Predictor: ...


class StaticSource:
    """A ``ModelSource`` that always serves one ``Predictor`` (tests, ad-hoc serving)."""

    def __init__(self, predictor: Predictor) -> None:
        self.predictor = predictor

    def current(self) -> str:
        return self.predictor.version or "static"

    def load(self) -> Predictor:
        return self.predictor

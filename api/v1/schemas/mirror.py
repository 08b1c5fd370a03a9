"""API response models derived from the library's result dataclasses, field for field: a field
added to or renamed in `monitor.report` appears in the OpenAPI schema without an edit
here. What the API states beyond the dataclass (a narrower type such as a Literal, a description)
is given by name, and naming a field the dataclass lacks is an error at import."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from pydantic import BaseModel, Field, create_model


def mirror(
    source: type,
    *,
    name: str | None = None,
    omit: tuple[str, ...] = (),
    narrow: dict[str, Any] | None = None,
    describe: dict[str, str] | None = None,
    nested: dict[type, type[BaseModel]] | None = None,
) -> type[BaseModel]:
    """A pydantic model (named `name`, else as `source`) with the fields of dataclass `source` in
    order (less `omit`): its types
    (tuples as lists, nested dataclasses as the models in `nested`, `narrow` overriding), each
    required (the library always sends it) unless its default is None, and `describe`'s
    descriptions."""
    narrow, describe, nested = narrow or {}, describe or {}, nested or {}
    names = {f.name for f in dataclasses.fields(source)}
    unknown = (set(omit) | set(narrow) | set(describe)) - names
    if unknown:
        raise TypeError(f"{source.__name__} has no field {sorted(unknown)}")
    hints = typing.get_type_hints(source)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(source):
        if field.name in omit:
            continue
        annotation = narrow.get(field.name, _api_type(hints[field.name], nested))
        # every key of `to_dict()` is always sent: required, unless its default is null
        default = None if field.default is None else ...
        fields[field.name] = (annotation, Field(default, description=describe.get(field.name)))
    written = source.__doc__ and not source.__doc__.startswith(f"{source.__name__}(")
    return create_model(
        name or source.__name__, __doc__=source.__doc__ if written else None, **fields
    )


def _api_type(annotation: Any, nested: dict[type, type[BaseModel]]) -> Any:
    """tuple[X, ...] as list[X]; a dataclass as its mirrored model; unions element-wise."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is tuple:
        return list[_api_type(args[0], nested)]
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_api_type(a, nested) for a in args)]  # noqa: UP007
    return nested.get(annotation, annotation)

"""The check report's API models are derived from the library's dataclasses (api/v1/schemas/
mirror.py): a field the library adds reaches the OpenAPI schema, and a narrowing or description
naming a field the dataclass lacks fails at import instead of documenting nothing."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

import pytest
from pydantic import BaseModel, ValidationError

from api.v1.schemas.check import Hit, Sentence
from api.v1.schemas.mirror import mirror
from monitor import report


@dataclass(frozen=True)
class Part:
    name: str


@dataclass(frozen=True)
class Sample:
    """A sample result."""

    kind: str
    parts: tuple[Part, ...]
    note: str | None = None
    flag: bool = False


def test_a_mirrored_model_has_the_dataclass_fields_types_and_descriptions():
    PartModel = mirror(Part)
    model = mirror(
        Sample,
        narrow={"kind": Literal["a", "b"]},
        nested={Part: PartModel},
        describe={"flag": "Whether it is flagged."},
    )
    assert list(model.model_fields) == ["kind", "parts", "note", "flag"]
    schema = model.model_json_schema()
    assert schema["required"] == ["kind", "parts", "flag"]  # always sent; null-default optional
    assert schema["properties"]["flag"]["description"] == "Whether it is flagged."
    assert schema["description"] == "A sample result."
    parsed = model.model_validate({"kind": "a", "parts": [{"name": "x"}], "flag": True})
    assert isinstance(parsed.parts[0], BaseModel) and parsed.note is None
    with pytest.raises(ValidationError):
        model.model_validate({"kind": "c", "parts": [], "flag": True})


def test_naming_a_field_the_dataclass_lacks_is_an_error():
    with pytest.raises(TypeError, match=r"Sample has no field \['kinds'\]"):
        mirror(Sample, describe={"kinds": "typo"})


def test_the_api_hit_and_sentence_are_the_library_fields_less_stream_times():
    times = {"time_start", "time_end"}
    assert list(Hit.model_fields) == [f.name for f in fields(report.Hit) if f.name not in times]
    assert list(Sentence.model_fields) == [
        f.name for f in fields(report.SentenceVerdict) if f.name not in times
    ]

"""What the store API's models and routes share: validated text, time and id types, paging and
record-id parameters, the credit snapshot a decision answers with, and the strict input base.

Response models list the library's row keys one for one; internal columns (a recording's file
path, dedupe keys) are left out on purpose.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from monitor.errors import InputError
from monitor.ids import (
    MAX_ID_LENGTH,
    MAX_STREAM_ID_LENGTH,
    STREAM_ID_PATTERN,
    id_pattern,
    id_problem,
    invisible_problem,
    stream_id_problem,
)
from monitor.local_time import day_bounds
from monitor.store.db import now_iso


def _encodable(value: str) -> str:
    """Reject text SQLite cannot store (lone surrogates sent as JSON escapes)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            "文本不是有效的 Unicode / text is not valid Unicode (lone surrogate)"
        ) from None
    return value


def _not_a_number(value: Any) -> Any:
    """Times and days are ISO-8601 text; pydantic would also read a number as Unix seconds."""
    if isinstance(value, int | float) or (isinstance(value, str) and _numeric(value)):
        raise ValueError(
            "时间须为 ISO-8601 文本 / a time is ISO-8601 text, e.g. 2026-05-01T08:00:00Z"
        )
    return value


def _numeric(text: str) -> bool:
    """Any text Python reads as a number (-2.88e-15, 1e9, inf, nan), which pydantic would take
    for Unix seconds."""
    try:
        float(text.strip())
    except ValueError:
        return False
    return True


def visible_text(value: str) -> str:
    """Text that SQLite can store and that hides no control or invisible character (an
    account name, say)."""
    if (problem := invisible_problem(_encodable(value))) is not None:
        raise ValueError(problem)
    return value


def _registry_id(value: str) -> str:
    """An id without look-alike characters, in NFC (the problem names the code point)."""
    if (problem := id_problem(value)) is not None:
        raise ValueError(problem)
    return unicodedata.normalize("NFC", value)


def _stream_id(value: str) -> str:
    """A stream id as STREAM_ID_PATTERN; in a form, empty is no stream."""
    if value and (problem := stream_id_problem(value)) is not None:
        raise ValueError(problem)
    return value


def _id_pattern(schema: dict[str, Any]) -> None:
    schema["pattern"] = id_pattern()  # computed when the schema is, not at import


Text = Annotated[str, AfterValidator(_encodable)]
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
# http(s)://host[:port][/path…]: no space or control character, no user part, no IPv6 literal
HTTP_URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://[^\x00-\x20\x7f/?#:@\[\]\\]+(:{_PORT})?([/?#][^\x00-\x20\x7f]*)?$"
)
# An address given as evidence (stored, never fetched): the pattern documents what the library's
# check (monitor.review.appeal_evidence) accepts; its refusals name the link (`links[i]`) in words.
EvidenceLink = Annotated[
    str, Field(json_schema_extra={"pattern": HTTP_URL_PATTERN}), AfterValidator(_encodable)
]
Moment = Annotated[datetime, BeforeValidator(_not_a_number)]
Day = Annotated[date, BeforeValidator(_not_a_number)]
# Constraints come before the validators: after them pydantic leaves them out of the schema.
Id = Annotated[
    str,
    Field(min_length=1, max_length=MAX_ID_LENGTH, json_schema_extra=_id_pattern),
    AfterValidator(_encodable),
    AfterValidator(_registry_id),
]
StreamId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_STREAM_ID_LENGTH,
        json_schema_extra={"pattern": STREAM_ID_PATTERN},
        description="Stream id: ASCII letters, digits, - _ . : (at most 100).",
        examples=["S-2026-05-01-evening"],
    ),
    AfterValidator(_stream_id),
]
# Fields the API checks against the loaded lexicons: the schema lists their values (openapi_errors).
KNOWN_CATEGORIES = {"x-known-values": "categories"}
KNOWN_PRODUCT_CLASSES = {"x-known-values": "product_classes"}
KNOWN_PROFILES = {"x-known-values": "profiles"}
# A form field: empty is no stream, as a browser sends it.
FORM_STREAM_ID_SCHEMA = {
    "type": "string",
    "maxLength": MAX_STREAM_ID_LENGTH,
    "pattern": STREAM_ID_PATTERN.replace("{1,", "{0,"),
    "description": "Stream id: ASCII letters, digits, - _ . : (at most 100); empty: none.",
}
FormStreamId = Annotated[
    str,
    Field(max_length=MAX_STREAM_ID_LENGTH, json_schema_extra=FORM_STREAM_ID_SCHEMA),
    AfterValidator(_stream_id),
]
Note = Annotated[str, Field(max_length=4000), AfterValidator(_encodable)]
# Text that must say something: the library refuses blank reasons, evidence and comments.
Said = Annotated[
    str, Field(min_length=1, max_length=4000, pattern=r"\S"), AfterValidator(_encodable)
]

MAX_ROW_ID = 2**63 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="Record id.")]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="Items to skip.")]
TimeFilter = Annotated[
    Moment | None,
    Query(description="ISO-8601 time, e.g. 2026-05-01T00:00:00Z (no offset: UTC)."),
]
AnchorFilter = Annotated[
    str | None, Query(max_length=200, description="Anchor id or PLATFORM:ACCOUNT.")
]
WorkshopFilter = Annotated[str | None, Query(max_length=200, description="Workshop id.")]
LocalDay = Annotated[
    Day | None,
    Query(description="A calendar day in the service's zone (QINGLANG_TIMEZONE), YYYY-MM-DD."),
]


def iso(moment: datetime | None) -> str | None:
    """A time given to the API as the store writes times (UTC, Z); 400 when it cannot be one."""
    if moment is None:
        return None
    try:
        return now_iso(moment)
    except (OverflowError, ValueError):
        raise InputError(f"时间超出范围 / time out of range: {moment.isoformat()}") from None


def period(
    since: datetime | None,
    until: datetime | None,
    first: date | None,
    last: date | None,
    zone_name: str,
) -> tuple[str | None, str | None]:
    """Stored-time bounds [since, until) from instants and/or whole local days (both given: the
    narrower)."""
    day_since, day_until = day_bounds(first, last, zone_name)
    return (
        max(filter(None, (iso(since), day_since)), default=None),
        min(filter(None, (iso(until), day_until)), default=None),
    )


class InputModel(BaseModel):
    """A request body: unknown fields are refused (422), not ignored."""

    model_config = ConfigDict(extra="forbid")


class CreditSnapshot(BaseModel):
    score: float
    grade: str
    blacklisted: bool


class BlacklistReason(BaseModel):
    """Why an anchor was listed: in words, as stored, and the violation that caused it."""

    reason: str = Field(
        description="In words, Chinese first, naming the violation's category: 违规 #7（投诉举报）："
        "医疗功效（非药品），严重 / violation #7 (complaint): Medical claims for non-drugs, high."
    )
    cause: str = Field(
        description="The stored cause: `violation 7 (complaint)`, `violation 7 (flag 9)`, "
        "`appeal 3 upheld`, `repair 2 granted`, `recompute`."
    )
    violation_id: int | None = Field(description="The violation the cause names, if any.")

"""What the store API's models and routes share: validated text, time and id types, paging and
record-id parameters, the credit snapshot a decision answers with, and the strict input base.

Response models list the library's row keys one for one; internal columns (a recording's file
path, dedupe keys) are left out on purpose.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from monitor.db import now_iso
from monitor.errors import InputError
from monitor.local_time import day_bounds


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
    """Times are ISO-8601 text; pydantic would also read a number as Unix seconds."""
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


Text = Annotated[str, AfterValidator(_encodable)]
Moment = Annotated[datetime, BeforeValidator(_not_a_number)]
Id = Annotated[Text, Field(min_length=1, max_length=64, pattern=r"^\S+$")]
Note = Annotated[Text, Field(max_length=4000)]
# Text that must say something: the library refuses blank reasons, evidence and comments.
Said = Annotated[Text, Field(min_length=1, max_length=4000, pattern=r"\S")]

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
    date | None,
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

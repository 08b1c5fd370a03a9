"""Request and response models of batch checks, caption uploads, media jobs and live rooms."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.core.errors import ErrorBody
from api.v1.schemas.check import CheckReport, Hit, ReportWarning, Sentence, Verdict
from api.v1.schemas.common import KNOWN_PROFILES, StreamId

JobStatus = Literal["queued", "running", "done", "failed"]
RoomState = Literal["active", "stopped", "ended", "failed", "interrupted"]
MAX_CAPTION_LINES = 500


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, max_length=200, description="Echoed back with the result.")
    text: str = Field(min_length=1)
    profile: str | None = None
    product_class: str | None = None


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Each item is validated on its own (as BatchItem): a bad item gets its own error in its place
    # and the others are checked, so the request itself only needs a list of objects.
    items: list[dict[str, Any]] = Field(
        min_length=1,
        description=(
            "At most QINGLANG_API_MAX_BATCH items and QINGLANG_API_MAX_BATCH_CHARS characters "
            "in all (413 above either), each "
            '{"id"?: str, "text": str, "profile"?: str, "product_class"?: str}; an item that is '
            "not gets an `invalid_item` error in its place."
        ),
    )


class BatchReport(BaseModel):
    id: str | None
    report: CheckReport


class BatchError(BaseModel):
    id: str | None
    error: ErrorBody


class BatchResponse(BaseModel):
    results: list[BatchReport | BatchError] = Field(description="One per item, in order.")


class TimedHit(Hit):
    time_start: float = Field(description="Seconds into the stream where the claim starts.")
    time_end: float


class TimedSentence(Sentence):
    time_start: float | None = None
    time_end: float | None = None


class TimedSegment(BaseModel):
    start: float
    end: float
    text: str
    offset: int = Field(description="Where the segment starts in the joined transcript.")
    confidence: float | None = Field(
        None, description="Speech recognition's confidence in its words, 0–1 (not for captions)."
    )
    issues: list[str] = Field(
        default=[],
        description="Why its text is doubtful: low_confidence, repetition, not_chinese, "
        "digit_string.",
    )


class TimedReport(BaseModel):
    verdict: Verdict
    risk: float
    hits: list[TimedHit]
    sentences: list[TimedSentence]
    profile: str
    segments: list[TimedSegment]
    warnings: list[ReportWarning] = Field(
        default=[], description="Why the report may be unreliable; a warning makes `pass` `review`."
    )


class CaptionReport(TimedReport):
    stream_id: str | None = Field(description="The stream the flags were stored under, if any.")
    flag_ids: list[int] = Field(description="Flags stored for review (empty without a stream).")


class JobAccepted(BaseModel):
    job_id: int
    status: JobStatus
    status_url: str


class JobResult(TimedReport):
    language: str
    duration: float
    flag_ids: list[int]


class Job(BaseModel):
    id: int
    status: JobStatus
    file_name: str
    size_bytes: int
    duration_s: float | None
    anchor_id: str | None
    stream_id: str | None
    product_id: str | None
    profile: str | None
    progress: float = Field(ge=0, le=1, description="Fraction of the recording transcribed.")
    eta_s: float | None = Field(description="Estimated seconds until done, while running.")
    attempts: int
    worker: str | None = Field(
        None, description="The worker process transcribing it, with a broker (else null)."
    )
    created_at: str
    started_at: str | None
    finished_at: str | None
    error: str | None = Field(description="Why the job failed (中文 / English).")
    result: JobResult | None = Field(description="The timed report, when done.")


class JobList(BaseModel):
    jobs: list[Job]


class RoomCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    anchor: str = Field(min_length=1, max_length=200, description="Anchor id or PLATFORM:ACCOUNT.")
    stream: StreamId | None = None
    product: str | None = Field(None, min_length=1, max_length=200)
    source_url: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description="HLS, RTMP or HTTP-FLV address to watch.",
        json_schema_extra={"pattern": r"^([Hh][Tt][Tt][Pp][Ss]?|[Rr][Tt][Mm][Pp][Ss]?)://\S+$"},
    )
    profile: str | None = Field(None, max_length=100, json_schema_extra=KNOWN_PROFILES)


class CaptionLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    t: float = Field(ge=0, le=1e7, description="Stream time of the line, seconds.")
    d: float | None = Field(None, ge=0, le=86400, description="Duration, seconds.")
    text: str = Field(max_length=5000)


class CaptionPush(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[CaptionLine] = Field(min_length=1, max_length=MAX_CAPTION_LINES)


class RoomEvent(BaseModel):
    seq: int
    at: str
    type: str = Field(
        description="result | started | stopped | reconnecting | gap | end | error | worker …"
    )
    verdict: Verdict | None = None
    latency_s: float | None = None
    segments: list[dict[str, Any]] | None = None
    hits: list[TimedHit] | None = None
    flag_ids: list[int] | None = None
    detail: dict[str, Any] | None = None
    worker: str | None = Field(None, description="`worker`: the worker holding the room now.")
    previous: str | None = Field(None, description="`worker`: the one that held it before.")


class Room(BaseModel):
    id: int
    anchor_id: str
    stream_id: str
    product_id: str | None
    profile: str | None
    source_url: str | None
    state: RoomState
    started_at: str
    stopped_at: str | None
    error: str | None
    audio_s: float
    segments: int
    flags: int
    worker: str | None = None  # with a broker: the worker holding the room (None: waiting)
    worker_seen_at: str | None = None
    last_events: list[RoomEvent]


class RoomList(BaseModel):
    rooms: list[Room]


class InputQueued(BaseModel):
    """Pushed input queued for the worker holding the room (with a broker)."""

    queued: int
    input_entry: str | None


class CaptionResults(BaseModel):
    room_id: int
    results: list[RoomEvent]


class EventList(BaseModel):
    room_id: int
    events: list[RoomEvent]
    last_seq: int

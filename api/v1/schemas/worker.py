"""What speech workers on other machines fetch and post (issue 15, /v1/worker/…): timed text
(segments as `Segment.to_dict()` gives them), transcript warnings, where a room is covered up to,
and what happened to its stream. A worker posts text, never a flag."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from api.v1.schemas.common import InputModel, Text
from monitor.live.worker_results import OWN_EVENT_TYPES
from monitor.report import ReportWarning
from monitor.sources.segments import Segment

Seconds = Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False)]
MAX_RESULTS = 200  # results in one post
MAX_SEGMENTS = 500  # segments in one result


class PostedSegment(InputModel):
    start: Seconds
    end: Seconds
    text: Annotated[Text, Field(max_length=5000)]
    confidence: float | None = Field(None, ge=0, le=1)
    issues: list[Annotated[str, Field(max_length=40)]] = Field([], max_length=10)

    def to_segment(self) -> Segment:
        """The library's segment (an end before the start is taken as the start)."""
        return Segment(
            self.start, max(self.start, self.end), self.text,
            confidence=self.confidence, issues=tuple(self.issues),
        )  # fmt: skip


class PostedWarning(InputModel):
    code: str = Field(max_length=40)
    message: Annotated[Text, Field(max_length=500)]
    segments: int = Field(0, ge=0)
    share: float = Field(0.0, ge=0, le=1)

    def to_warning(self) -> ReportWarning:
        return ReportWarning(**self.model_dump())


class PostedResult(InputModel):
    segments: list[PostedSegment] = Field(max_length=MAX_SEGMENTS)
    latency_s: Seconds = 0.0
    warnings: list[PostedWarning] = Field([], max_length=20)


class Position(InputModel):
    """Where a worker that takes the room over resumes (None: unchanged)."""

    sequence: int | None = Field(None, ge=0, description="Last HLS media sequence covered.")
    origin: float | None = Field(None, allow_inf_nan=False, description="HLS time origin (PTS).")
    stream_s: Seconds | None = Field(None, description="Stream time covered up to.")
    input_entry: str | None = Field(
        None, pattern=r"^[0-9]{1,20}-[0-9]{1,20}$", description="Last pushed input consumed."
    )


def _posted_type(kind: str) -> str:
    if kind in OWN_EVENT_TYPES:
        raise ValueError(
            f"事件类型 {kind} 只能由服务记录 / event type {kind!r} is recorded by the service only"
        )
    return kind


class PostedEvent(InputModel):
    type: Annotated[str, Field(pattern=r"^[a-z_]{1,32}$"), AfterValidator(_posted_type)]
    detail: dict[str, Any] = Field(default_factory=dict)


class RoomResults(InputModel):
    results: list[PostedResult] = Field([], max_length=MAX_RESULTS)
    position: Position = Field(default_factory=Position)
    audio_s: Seconds = 0.0
    events: list[PostedEvent] = Field([], max_length=100)


class RoomEnd(InputModel):
    state: str = Field(pattern="^(ended|failed|stopped)$")
    error: Annotated[Text, Field(max_length=2000)] | None = None


class Resume(BaseModel):
    sequence: int | None
    origin: float | None
    stream_s: float | None
    input_entry: str | None


class WorkerRoom(BaseModel):
    room_id: int
    anchor_id: str
    stream_id: str
    product_id: str | None
    profile: str | None
    source_url: str | None
    state: str
    resume: Resume


class Recorded(BaseModel):
    recorded: list[int] = Field(description="Event number of each result (a replay: the first).")
    state: str

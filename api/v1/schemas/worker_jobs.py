"""Request and response models of the worker routes for media jobs (issue 15): what a worker is
told about the job it holds, and the timed text, progress or failure it posts back. A worker
posts text, never a flag: the API node checks the text."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.v1.schemas.check import ReportWarning
from api.v1.schemas.jobs import JobStatus
from monitor.report import ReportWarning as LibraryWarning
from monitor.sources.segments import Segment, Transcript

MAX_SEGMENT_CHARS = 5000
MAX_STREAM_S = 1e7  # seconds: far beyond any recording or room


class WorkerJob(BaseModel):
    job_id: int
    file_name: str
    size_bytes: int
    duration_s: float | None
    anchor_id: str | None
    stream_id: str | None
    product_id: str | None
    profile: str | None
    product_class: str | None
    status: JobStatus
    attempts: int = Field(description="Times a worker took the job, this one included.")


class PostedSegment(BaseModel):
    """One timed piece of text as a worker heard it (`Segment.to_dict()`)."""

    model_config = ConfigDict(extra="forbid")

    start: float = Field(ge=0, le=MAX_STREAM_S, description="Seconds into the recording.")
    end: float = Field(ge=0, le=MAX_STREAM_S)
    text: str = Field(max_length=MAX_SEGMENT_CHARS)
    confidence: float | None = Field(None, ge=0, le=1)
    issues: list[str] = Field(default=[], max_length=20)

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.end < self.start:
            raise ValueError("end 早于 start / end is before start")
        return self

    def to_segment(self) -> Segment:
        return Segment(
            self.start, self.end, self.text, confidence=self.confidence, issues=tuple(self.issues)
        )


class JobTranscript(BaseModel):
    """A worker's transcript of the job's recording (`Transcript.to_dict()`)."""

    model_config = ConfigDict(extra="forbid")

    segments: list[PostedSegment] = Field(max_length=100_000)
    language: str = Field(min_length=1, max_length=20)
    duration: float = Field(ge=0, le=MAX_STREAM_S, description="Seconds of audio transcribed.")
    warnings: list[ReportWarning] = Field(default=[], max_length=50)

    def to_transcript(self) -> Transcript:
        return Transcript(
            language=self.language,
            duration=self.duration,
            segments=tuple(s.to_segment() for s in self.segments),
            warnings=tuple(LibraryWarning(**w.model_dump()) for w in self.warnings),
        )


class JobProgress(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fraction: float = Field(ge=0, le=1, description="Share of the recording transcribed.")
    eta_s: float | None = Field(None, ge=0, le=MAX_STREAM_S, description="Seconds until done.")


class JobFailure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=2000, description="Why, 中文 / English.")
    retry: bool = Field(
        description="Queue the job again for another worker while it has attempts left."
    )

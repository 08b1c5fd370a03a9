"""Request and response models of the worker routes for media jobs (issue 15): what a worker is
told about the job it holds, and the timed text, progress or failure it posts back. A worker
posts text, never a flag: the API node checks the text."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.v1.schemas.common import InputModel
from api.v1.schemas.jobs import JobStatus
from api.v1.schemas.worker import PostedSegment, PostedWarning, Seconds
from monitor.sources.segments import Transcript

MAX_JOB_SEGMENTS = 100_000  # a recording of QINGLANG_MEDIA_MAX_SECONDS (4 h) has a few thousand


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


class JobTranscript(InputModel):
    """A worker's transcript of the job's recording (`Transcript.to_dict()`)."""

    segments: list[PostedSegment] = Field(max_length=MAX_JOB_SEGMENTS)
    language: str = Field(min_length=1, max_length=20)
    duration: Seconds = Field(description="Seconds of audio transcribed.")
    warnings: list[PostedWarning] = Field([], max_length=20)

    def to_transcript(self) -> Transcript:
        return Transcript(
            language=self.language,
            duration=self.duration,
            segments=tuple(s.to_segment() for s in self.segments),
            warnings=tuple(w.to_warning() for w in self.warnings),
        )


class JobProgress(InputModel):
    fraction: float = Field(ge=0, le=1, description="Share of the recording transcribed.")
    eta_s: Seconds | None = Field(None, description="Seconds until done.")


class JobFailure(InputModel):
    message: str = Field(min_length=1, max_length=2000, description="Why, 中文 / English.")
    retry: bool = Field(
        description="Queue the job again for another worker while it has attempts left."
    )

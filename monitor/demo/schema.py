"""The shape of the demo file (`monitor/demo/data.yaml`), as pydantic models: a broken demo file
fails at load with the file, the entry and the field named, not half-way through seeding.

A stream's text comes from one of three places, and the stream says which: timed `captions`
(as platforms send them; no recording), `speech` (lines espeak-ng speaks into a recording) or a
real `recording` shipped with the demo (and what is said in it). Only reads and validates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitor.yaml_files import read_validated

DEMO_FOLDER = Path(__file__).resolve().parent


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Workshop(_Record):
    id: str
    name: str
    region: str = ""


class Anchor(_Record):
    id: str
    name: str
    workshop: str | None = None
    accounts: list[str] = []


class Product(_Record):
    id: str
    name: str
    workshop: str | None = None
    product_class: str = "food"
    origin: str = ""
    producer: str = ""
    certifications: list[dict[str, str]] = []


class PastViolation(_Record):
    anchor: str
    days_ago: int = Field(ge=0)
    category: str
    severity: Literal["low", "medium", "high"]
    origin: str
    evidence: str
    appeal: str | None = None  # the anchor's appeal against it, waiting for a decision


class RepairApplication(_Record):
    anchor: str
    kind: Literal["repair", "early_removal"]
    reason: str


class Script(_Record):
    """A script submitted for the anchor's next stream (waits for approval where required)."""

    anchor: str
    product: str
    stream_in_days: int = Field(default=1, ge=0)
    text: str


class Speech(_Record):
    """espeak-ng reads the stream's lines: `voice` must be one Whisper understands (English)."""

    voice: str = "en-us"
    words_per_minute: int = Field(default=140, ge=80, le=300)


class Recording(_Record):
    """A real recording in `monitor/demo/` and what is said in it: (start s, end s, text)."""

    file: str
    segments: list[tuple[float, float, str]] = Field(min_length=1)


class Stream(_Record):
    id: str
    anchor: str
    product: str
    profile: str | None = None
    captions: list[tuple[float, str]] | None = None  # (start s, text), as the platform sent
    speech: Speech | None = None
    lines: list[str] | None = None  # what `speech` says, in order
    recording: Recording | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Stream:
        given = [n for n in ("captions", "speech", "recording") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of captions, speech, recording (got {given})")
        if (self.speech is None) != (self.lines is None):
            raise ValueError("speech and lines go together")
        return self


class ReplayRoom(_Record):
    """A live room (实时监测) playing the recording of stream `replays` at real speed."""

    anchor: str
    product: str
    stream: str
    replays: str


class DemoData(_Record):
    workshops: list[Workshop]
    anchors: list[Anchor]
    products: list[Product]
    past_violations: list[PastViolation]
    repair_applications: list[RepairApplication] = []
    scripts: list[Script] = []
    streams: list[Stream]
    replay_room: ReplayRoom | None = None

    @model_validator(mode="after")
    def _replays_a_recording(self) -> DemoData:
        room = self.replay_room
        if room and not any(s.id == room.replays and not s.captions for s in self.streams):
            raise ValueError(f"replay_room.replays: {room.replays} is no stream with a recording")
        return self


def load_demo(path: Path | None = None) -> DemoData:
    """The demo file, validated (LexiconError names the file, entry and field)."""
    return read_validated(path or DEMO_FOLDER / "data.yaml", DemoData)

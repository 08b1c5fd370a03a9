"""Timed text: what every source (captions, audio files, live streams) turns its input into.

A `Segment` is a piece of text with its start and end time in the stream (seconds). Speech
recognition also gives `Word`s with their own times and their character span in the segment's
text, so a hit can be placed on the exact second; without words, times are interpolated.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from monitor.report import ReportWarning


@dataclass(frozen=True)
class Word:
    """A recognised word (or character, for Chinese): `text[char_start:char_end]` of its segment."""

    start: float
    end: float
    char_start: int
    char_end: int


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = field(default=())
    # Speech recognition only (captions have neither): how sure the model was of the words, the
    # geometric mean of their probabilities (0–1), and what makes the text doubtful
    # (speech/transcript_reliability.py: low_confidence, repetition, not_chinese, digit_string).
    confidence: float | None = None
    issues: tuple[str, ...] = ()

    def time_span(self, char_start: int, char_end: int) -> tuple[float, float]:
        """Stream times of the characters `text[char_start:char_end]`."""
        char_start = max(0, min(char_start, len(self.text)))
        char_end = max(char_start, min(char_end, len(self.text)))
        if self.words:
            ends = [w.char_end for w in self.words]
            first = min(bisect_right(ends, char_start), len(self.words) - 1)
            last = min(bisect_right(ends, max(char_end - 1, char_start)), len(self.words) - 1)
            return self.words[first].start, max(self.words[last].end, self.words[first].start)
        return self._interpolate(char_start), self._interpolate(char_end)

    def _interpolate(self, offset: int) -> float:
        if not self.text:
            return self.start
        return round(self.start + (self.end - self.start) * offset / len(self.text), 3)

    def to_dict(self) -> dict:
        data = {"start": round(self.start, 3), "end": round(self.end, 3), "text": self.text}
        if self.confidence is not None:
            data["confidence"] = round(self.confidence, 3)
            data["issues"] = list(self.issues)
        return data


@dataclass(frozen=True)
class Transcript:
    """What speech recognition made of one file or stream."""

    language: str
    duration: float
    segments: tuple[Segment, ...]
    language_probability: float | None = None  # None when the language was given, not detected
    warnings: tuple[ReportWarning, ...] = ()  # why the text may not be what was said

    def to_dict(self) -> dict:
        return {
            "language": self.language,
            "duration": round(self.duration, 3),
            "segments": [segment.to_dict() for segment in self.segments],
            "warnings": [warning.to_dict() for warning in self.warnings],
        }

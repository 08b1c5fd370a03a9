"""Checking timed text: segments joined into one transcript (one line each), checked once, and
every hit and sentence given its time in the stream.

The check sees the segments as one text so that sentence context (negation, whitelist phrases)
works as for scripts; a line break separates segments, and utterances never cross one. Warnings
about the transcript (speech/transcript_reliability.py) go into the report, so an unreliable transcript
is never a silent `pass`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from monitor.checking.checker import Checker
from monitor.checking.detectors.fact_rules import ProductFacts
from monitor.report import Report, ReportWarning, with_warnings
from monitor.sources.segments import Segment

SEPARATOR = "\n"


@dataclass(frozen=True)
class TimedText:
    """Segments joined with line breaks; `offsets[i]` is where segment i starts in `text`."""

    text: str
    segments: tuple[Segment, ...]
    offsets: tuple[int, ...]

    @classmethod
    def join(cls, segments: Sequence[Segment]) -> TimedText:
        offsets, position = [], 0
        for segment in segments:
            offsets.append(position)
            position += len(segment.text) + len(SEPARATOR)
        text = SEPARATOR.join(segment.text for segment in segments)
        return cls(text=text, segments=tuple(segments), offsets=tuple(offsets))

    def time_span(self, start: int, end: int) -> tuple[float, float]:
        """Stream times of `text[start:end]`, which may cover several segments."""
        first = self._segment_at(start)
        last = self._segment_at(max(start, end - 1))
        begin, _ = self.segments[first].time_span(
            start - self.offsets[first], end - self.offsets[first]
        )
        _, finish = self.segments[last].time_span(
            max(0, start - self.offsets[last]), end - self.offsets[last]
        )
        return round(begin, 3), round(max(begin, finish), 3)

    def _segment_at(self, offset: int) -> int:
        return max(0, bisect_right(self.offsets, offset) - 1)


@dataclass(frozen=True)
class TimedReport:
    report: Report
    timed: TimedText

    def to_dict(self) -> dict[str, Any]:
        data = self.report.to_dict()
        data["segments"] = [
            {**segment.to_dict(), "offset": offset}
            for segment, offset in zip(self.timed.segments, self.timed.offsets, strict=True)
        ]
        return data


def check_segments(
    checker: Checker,
    segments: Sequence[Segment],
    *,
    profile: str | None = None,
    product_class: str | None = None,
    facts: ProductFacts | None = None,
    warnings: Sequence[ReportWarning] = (),
) -> TimedReport:
    """The check of the joined segments; `warnings` (a transcript's) make a `pass` a `review`."""
    timed = TimedText.join(segments)
    report = checker.check(timed.text, profile=profile, product_class=product_class, facts=facts)
    return TimedReport(report=with_warnings(with_times(report, timed), warnings), timed=timed)


def with_times(report: Report, timed: TimedText) -> Report:
    if not timed.segments:
        return report
    hits = tuple(_timed(hit, timed) for hit in report.hits)
    sentences = tuple(_timed(sentence, timed) for sentence in report.sentences)
    return replace(report, hits=hits, sentences=sentences)


def _timed(item, timed: TimedText):
    time_start, time_end = timed.time_span(item.start, item.end)
    return replace(item, time_start=time_start, time_end=time_end)

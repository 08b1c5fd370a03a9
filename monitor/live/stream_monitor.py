"""Monitoring one live stream: pushed audio (PCM or encoded chunks) or caption lines in, timed
segments and flags out, as they happen.

This is the library entry point for push ingestion (the CLI's `watch` and the HTTP API's live
rooms both drive it). Each result says how long after the utterance's audio arrived its flags
were ready (`latency_s`): the stream time of the end of the utterance → the flag emitted.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from monitor.checking.checker import Checker
from monitor.checking.detectors.fact_rules import ProductFacts
from monitor.checking.timed_check import check_segments
from monitor.live.speech_stream import SpeechStream
from monitor.report import Report, ReportWarning
from monitor.sources.media import decode_bytes
from monitor.sources.segments import Segment
from monitor.speech.transcriber import Transcriber


@dataclass(frozen=True)
class LiveResult:
    """Segments recognised (or captioned) together, their check, and when the flags were ready."""

    segments: tuple[Segment, ...]
    report: Report  # hits carry time_start/time_end; offsets are into `text`
    text: str
    latency_s: float

    @property
    def flags(self):
        return self.report.hits

    def events(self, stream: str) -> list[dict[str, Any]]:
        """One JSON-ready event per segment and per flag."""
        events: list[dict[str, Any]] = [
            {"type": "segment", "stream": stream, **segment.to_dict()} for segment in self.segments
        ]
        for hit in self.report.hits:
            events.append(
                {
                    "type": "flag",
                    "stream": stream,
                    "latency_s": round(self.latency_s, 3),
                    "context": self.text,
                    **hit.to_dict(),
                }
            )
        return events


@dataclass
class StreamStats:
    audio_s: float = 0.0
    segments: int = 0
    flags: int = 0
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))  # the latest

    def latency(self, quantile: float) -> float | None:
        if not self.latencies:
            return None
        return float(np.quantile(self.latencies, quantile))


class StreamMonitor:
    """The speech half (`SpeechStream`: audio to timed segments) plus the check."""

    def __init__(
        self,
        checker: Checker,
        transcriber: Transcriber | None = None,
        *,
        profile: str | None = None,
        product_class: str | None = None,
        facts: ProductFacts | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.checker = checker
        self.transcriber = transcriber
        self.profile = profile
        self.product_class = product_class
        self.facts = facts
        self.stats = StreamStats()
        self._clock = clock
        self.speech = SpeechStream(transcriber, clock=clock) if transcriber is not None else None

    @property
    def gaps(self) -> list[tuple[float, float]]:
        return self.speech.gaps if self.speech else []

    def push_audio(
        self, samples: np.ndarray, stream_time: float | None = None, arrived: float | None = None
    ) -> list[LiveResult]:
        """16 kHz mono float32 samples starting at `stream_time` (default: after the last block)."""
        if self.speech is None:
            raise RuntimeError("this monitor has no transcriber; push captions instead")
        before = self.speech.audio_s
        heard = self.speech.push_audio(samples, stream_time, arrived)
        self.stats.audio_s += self.speech.audio_s - before
        return [self._check(h.segments, h.arrived, h.warnings) for h in heard]

    def push_encoded(self, data: bytes, stream_time: float | None = None) -> list[LiveResult]:
        """A self-contained encoded chunk (WAV, MPEG-TS segment, Ogg/Opus…)."""
        return self.push_audio(decode_bytes(data, "chunk"), stream_time)

    def push_caption(self, segment: Segment) -> list[LiveResult]:
        """A caption line (from `monitor.sources.captions.parse_caption_line`)."""
        arrived = self._clock()
        return [self._check((segment,), arrived)]

    def flush(self) -> list[LiveResult]:
        """The stream ended: recognise the speech still buffered."""
        if self.speech is None:
            return []
        return [self._check(h.segments, h.arrived, h.warnings) for h in self.speech.flush()]

    def _check(
        self, segments: tuple[Segment, ...], arrived: float, warnings: Sequence[ReportWarning] = ()
    ) -> LiveResult:
        timed = check_segments(
            self.checker,
            segments,
            profile=self.profile,
            product_class=self.product_class,
            facts=self.facts,
            warnings=warnings,
        )
        latency = max(0.0, self._clock() - arrived)
        self.stats.segments += len(segments)
        self.stats.flags += len(timed.report.hits)
        if timed.report.hits:
            self.stats.latencies.append(latency)
        return LiveResult(segments, timed.report, timed.timed.text, latency)

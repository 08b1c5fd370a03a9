"""The speech half of watching a stream: audio in, timed segments out, without the check.

Audio is cut into speech chunks (speech_chunker), each chunk transcribed, and a line that only
repeats the previous chunk's last line dropped. Each `Heard` carries the segments, the
transcript's warnings, and when the audio of its last segment arrived (for latency). `covered_s`
says how far the stream's audio is accounted for: every sample before it is in a returned result
or was let go as silence, so a worker that posted the results up to here may resume from it.

`StreamMonitor` is this plus the check (in process); a `qinglang worker` uses it alone and posts
the segments to the API node, which checks them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from monitor.report import ReportWarning
from monitor.sources.media import SAMPLE_RATE, decode_bytes
from monitor.sources.segments import Segment
from monitor.speech.speech_chunker import Chunk, ChunkRules, SpeechChunker, silero_speech_finder
from monitor.speech.transcriber import Transcriber, bare_text

REPEAT_WINDOW_S = 30.0


@dataclass(frozen=True)
class Heard:
    """Segments recognised together, the transcript's warnings, and the clock time the audio of
    the last one arrived (a caption line: when it was pushed)."""

    segments: tuple[Segment, ...]
    warnings: tuple[ReportWarning, ...]
    arrived: float


class SpeechStream:
    def __init__(self, transcriber: Transcriber, *, clock: Callable[[], float] = time.monotonic):
        self.transcriber = transcriber
        self.audio_s = 0.0  # audio received, seconds
        self._clock = clock
        policy = transcriber.policy
        self._chunker = SpeechChunker(
            silero_speech_finder(policy.vad), ChunkRules.from_policy(policy.live)
        )
        self._arrivals: deque[tuple[float, float]] = deque()  # (stream time of block end, wall)
        self._last_line: tuple[str, float] | None = None
        self._covered: float | None = None

    @property
    def gaps(self) -> list[tuple[float, float]]:
        return self._chunker.gaps

    @property
    def covered_s(self) -> float | None:
        """Stream time before which all audio received is in a returned result or was silence
        (None: no audio yet)."""
        return self._covered

    def push_audio(
        self, samples: np.ndarray, stream_time: float | None = None, arrived: float | None = None
    ) -> list[Heard]:
        """16 kHz mono float32 samples starting at `stream_time` (default: after the last block)."""
        arrived = self._clock() if arrived is None else arrived
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        chunks = self._chunker.feed(samples, stream_time)
        end = self._chunker.end
        if end is not None:
            self._arrivals.append((end, arrived))
        self.audio_s += len(samples) / SAMPLE_RATE
        heard = [h for chunk in chunks if (h := self._recognise(chunk))]
        self._cover(self._chunker.start if self._chunker.buffered_s else end)
        return heard

    def push_encoded(self, data: bytes, stream_time: float | None = None) -> list[Heard]:
        """A self-contained encoded chunk (WAV, MPEG-TS segment, Ogg/Opus…)."""
        return self.push_audio(decode_bytes(data, "chunk"), stream_time)

    def flush(self) -> list[Heard]:
        """The stream ended (or dropped): recognise the speech still buffered."""
        end = self._chunker.end
        heard = [h for chunk in self._chunker.flush() if (h := self._recognise(chunk))]
        self._cover(end)
        return heard

    def _cover(self, stream_time: float | None) -> None:
        if stream_time is not None:
            self._covered = max(self._covered or 0.0, stream_time)

    def _recognise(self, chunk: Chunk) -> Heard | None:
        transcript = self.transcriber.transcribe(chunk.samples, live=True, offset=chunk.start)
        segments = tuple(s for s in transcript.segments if not self._repeats(s))
        if not segments:
            return None
        return Heard(segments, tuple(transcript.warnings), self._arrival_of(segments[-1].end))

    def _repeats(self, segment: Segment) -> bool:
        """A line that repeats the previous chunk's last line word for word, within
        REPEAT_WINDOW_S, is Whisper looping over the chunk boundary, not new speech."""
        bare = bare_text(segment.text)
        last, self._last_line = self._last_line, (bare, segment.end)
        return last is not None and last[0] == bare and segment.start - last[1] < REPEAT_WINDOW_S

    def _arrival_of(self, stream_time: float) -> float:
        """When the audio at `stream_time` had arrived; older arrivals are let go."""
        while len(self._arrivals) > 1 and self._arrivals[0][0] < stream_time:
            self._arrivals.popleft()
        return self._arrivals[0][1] if self._arrivals else self._clock()

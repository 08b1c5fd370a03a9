"""Cutting a live audio stream into speech chunks for recognition.

Audio arrives in blocks with their stream time. Voice activity detection (Silero, inside
faster-whisper) finds speech in the buffered audio; a chunk is cut when speech is followed by a
pause, or when it reaches the longest allowed length (then at the longest pause inside it). Audio
without speech is let go, so memory is bounded however long the stream runs. Samples whose stream
time was already seen (a source that reconnects and sends some audio again) are dropped; a jump
forward (audio lost) closes the current chunk.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from monitor.sources.media import SAMPLE_RATE

SpeechFinder = Callable[[np.ndarray], list[tuple[int, int]]]  # samples -> [(start, end)] speech


@dataclass(frozen=True)
class ChunkRules:
    pause_s: float = 0.6
    max_chunk_s: float = 15.0
    min_chunk_s: float = 1.0
    idle_keep_s: float = 1.0
    vad_every_s: float = 1.0

    @classmethod
    def from_policy(cls, data: dict) -> ChunkRules:
        return cls(**{key: float(value) for key, value in data.items()})


@dataclass(frozen=True)
class Chunk:
    start: float  # stream time of the first sample
    samples: np.ndarray

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / SAMPLE_RATE


class SpeechChunker:
    def __init__(self, find_speech: SpeechFinder, rules: ChunkRules | None = None):
        self.rules = rules or ChunkRules()
        self._find_speech = find_speech
        self._buffer = np.zeros(0, dtype=np.float32)
        self._start: float | None = None  # stream time of _buffer[0]
        self._unscanned = 0.0  # seconds added since the last VAD pass
        self.dropped_s = 0.0  # audio seen twice and dropped
        self.gaps: list[tuple[float, float]] = []  # stream time ranges that never arrived

    @property
    def buffered_s(self) -> float:
        return len(self._buffer) / SAMPLE_RATE

    @property
    def start(self) -> float | None:
        """Stream time of the first sample still buffered (None: nothing buffered)."""
        return self._start

    @property
    def end(self) -> float | None:
        """Stream time just after the last sample received."""
        return None if self._start is None else self._start + self.buffered_s

    def feed(self, samples: np.ndarray, stream_time: float | None = None) -> list[Chunk]:
        """Add a block of 16 kHz mono samples; returns the chunks it completes."""
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        chunks: list[Chunk] = []
        end = self.end
        if stream_time is None:
            stream_time = end if end is not None else 0.0
        if end is not None:
            overlap = end - stream_time
            if overlap > 0.5 / SAMPLE_RATE:  # already seen: keep only the new tail
                skip = min(len(samples), round(overlap * SAMPLE_RATE))
                self.dropped_s += skip / SAMPLE_RATE
                samples = samples[skip:]
                stream_time = end
            elif -overlap > self.rules.pause_s:  # audio lost: what we have is a whole chunk
                self.gaps.append((end, stream_time))
                chunks.extend(self.flush())
            else:
                stream_time = end  # sub-pause jitter between blocks: treat as continuous
        if not len(samples):
            return chunks
        if self._start is None:
            self._start = stream_time
        self._buffer = np.concatenate([self._buffer, samples])
        self._unscanned += len(samples) / SAMPLE_RATE
        if self._unscanned >= self.rules.vad_every_s:
            self._unscanned = 0.0
            chunks.extend(self._cut())
        return chunks

    def flush(self) -> list[Chunk]:
        """The end of the stream (or of a continuous stretch): any speech left becomes chunks."""
        chunks = []
        while len(self._buffer):
            speech = self._find_speech(self._buffer)
            if not speech:
                break
            last = speech[-1][1]
            if last - speech[0][0] > self._longest:
                last = self._best_cut(speech)
            chunks.append(self._take(speech[0][0], last))
        self._buffer = np.zeros(0, dtype=np.float32)
        self._start = None
        self._unscanned = 0.0
        return chunks

    def _cut(self) -> list[Chunk]:
        rules, length = self.rules, len(self._buffer)
        speech = self._find_speech(self._buffer)
        if not speech:
            keep = int(rules.idle_keep_s * SAMPLE_RATE)
            if length > keep:
                self._advance(length - keep)
            return []
        pause = int(rules.pause_s * SAMPLE_RATE)
        if speech[0][0] > pause:  # let go of the silence before the speech
            self._advance(speech[0][0] - pause // 2)
            speech = [
                (s - (speech[0][0] - pause // 2), e - (speech[0][0] - pause // 2))
                for s, e in speech
            ]
            length = len(self._buffer)
        # the latest end of speech followed by a pause (before the next speech, or the buffer's
        # end): all speech up to it is a chunk. Blocks of several seconds can hold more than one.
        followers = [start for start, _ in speech[1:]] + [length]
        ends = [
            end
            for (_, end), follower in zip(speech, followers, strict=True)
            if follower - end >= pause
        ]
        if ends:
            return [self._take(speech[0][0], ends[-1])]
        if length - speech[0][0] >= self._longest:
            return [self._take(speech[0][0], self._best_cut(speech))]
        return []

    @property
    def _longest(self) -> int:
        return int(self.rules.max_chunk_s * SAMPLE_RATE)

    def _best_cut(self, speech: list[tuple[int, int]]) -> int:
        """Where a chunk from the first speech must end: the middle of the longest pause that
        keeps it between the shortest and the longest chunk length, else at the longest."""
        first = speech[0][0]
        earliest, latest = first + int(self.rules.min_chunk_s * SAMPLE_RATE), first + self._longest
        gaps = [
            (start - end, (end + start) // 2)
            for (_, end), (start, _) in itertools.pairwise(speech)
            if earliest <= (end + start) // 2 <= latest
        ]
        return max(gaps)[1] if gaps else latest

    def _take(self, first: int, last: int) -> Chunk:
        """Cut `_buffer[first:last]` out as a chunk; the buffer keeps what follows `last`."""
        last = min(max(last, first), len(self._buffer))
        chunk = Chunk(
            start=self._start + first / SAMPLE_RATE, samples=self._buffer[first:last].copy()
        )
        self._advance(last)
        return chunk

    def _advance(self, count: int) -> None:
        self._buffer = self._buffer[count:]
        self._start += count / SAMPLE_RATE


def silero_speech_finder(vad: dict) -> SpeechFinder:
    """Speech regions from faster-whisper's Silero VAD, with the policy's threshold and padding."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(**vad)

    def find(samples: np.ndarray) -> list[tuple[int, int]]:
        return [(r["start"], r["end"]) for r in get_speech_timestamps(samples, options)]

    return find

"""One GPU for many rooms (`qinglang worker --device cuda`): the speech chunks of the rooms a
worker holds are decoded together, one batch per call of faster-whisper's
BatchedInferencePipeline, instead of one room at a time.

Each room's speech half (live/speech_stream) asks `transcribe` for its chunk as it would the
Transcriber; the call waits while a batcher thread gathers the chunks asked for within
`gather_s` (up to `max_batch`), lays them end to end, decodes them as one batch (one clip per
chunk: a live chunk is at most 15 s, within Whisper's 30 s window) and hands each room back its
segments, cleaned and judged as the Transcriber does. Media jobs go to the Transcriber as they are.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from monitor.sources.media import SAMPLE_RATE
from monitor.sources.segments import Transcript
from monitor.speech.transcriber import Transcriber, _Part

GATHER_S = 0.05


@dataclass
class _Ask:
    audio: np.ndarray
    offset: float
    done: threading.Event = field(default_factory=threading.Event)
    result: Transcript | None = None
    error: BaseException | None = None


class BatchedRooms:
    def __init__(self, transcriber: Transcriber, max_batch: int, gather_s: float = GATHER_S):
        from faster_whisper import BatchedInferencePipeline

        self.transcriber, self.policy = transcriber, transcriber.policy
        self.max_batch, self.gather_s = max(1, max_batch), gather_s
        self._pipeline = BatchedInferencePipeline(model=transcriber.model)
        self._asks: list[_Ask] = []
        self._ready = threading.Condition()
        threading.Thread(target=self._batches, name="qinglang-batches", daemon=True).start()

    def transcribe(self, audio: np.ndarray, *, live: bool = True, offset: float = 0.0,
                   progress=None) -> Transcript:  # fmt: skip
        """A live chunk's transcript, decoded in a batch with the other rooms' chunks."""
        ask = _Ask(np.asarray(audio, dtype=np.float32), offset)
        with self._ready:
            self._asks.append(ask)
            self._ready.notify()
        ask.done.wait()
        if ask.error is not None:
            raise ask.error
        return ask.result

    def transcribe_file(self, *args, **kwargs) -> Transcript:
        return self.transcriber.transcribe_file(*args, **kwargs)

    def _batches(self) -> None:
        while True:
            with self._ready:
                while not self._asks:
                    self._ready.wait()
            time.sleep(self.gather_s)  # let the other rooms' chunks arrive
            with self._ready:
                batch, self._asks = self._asks[: self.max_batch], self._asks[self.max_batch :]
            try:
                for ask, transcript in zip(batch, self.decode(batch), strict=True):
                    ask.result = transcript
            except Exception as exc:  # each room's call raises it
                for ask in batch:
                    ask.error = exc
            for ask in batch:
                ask.done.set()

    def decode(self, batch: list[_Ask]) -> list[Transcript]:
        """The chunks of `batch` decoded as one batch, a transcript each."""
        starts = np.cumsum([0] + [len(a.audio) for a in batch]) / SAMPLE_RATE
        clips = [{"start": float(s), "end": float(e)} for s, e in itertools.pairwise(starts)]
        settings = dict(self.policy.decode["live"])
        options = self.transcriber.options
        if options.beam_size:
            settings["beam_size"] = options.beam_size
        raw, info = self._pipeline.transcribe(
            np.concatenate([a.audio for a in batch]), language=options.language,
            clip_timestamps=clips, batch_size=len(batch), word_timestamps=True,
            beam_size=settings.get("beam_size", 1),
        )  # fmt: skip
        mine: list[list] = [[] for _ in batch]
        for segment in raw:
            middle = (segment.start + segment.end) / 2  # times are rounded to 10 ms
            index = min(int(np.searchsorted(starts, middle, side="right")) - 1, len(batch) - 1)
            shift, end = float(starts[index]), float(starts[index + 1])
            mine[index].append(dataclasses.replace(
                segment, start=_within(segment.start, shift, end),
                end=_within(segment.end, shift, end),
                words=[dataclasses.replace(w, start=_within(w.start, shift, end),
                                           end=_within(w.end, shift, end))
                       for w in segment.words or ()],
            ))  # fmt: skip
        transcripts = []
        for ask, segments in zip(batch, mine, strict=True):
            duration = len(ask.audio) / SAMPLE_RATE
            kept = self.transcriber.clean(segments, ask.offset, duration, None,
                                          language=info.language)  # fmt: skip
            part = _Part(kept, info.language, info.language_probability, duration)
            transcripts.append(self.transcriber._transcript([part], duration))
        return transcripts


def _within(time: float, start: float, end: float) -> float:
    """A time of the batch's audio as a time of its chunk [start, end)."""
    return min(max(float(time), start), end) - start

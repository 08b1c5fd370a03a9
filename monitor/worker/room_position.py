"""How far a room's stream is covered by the results a worker has produced: its resume point
(docs/architecture.md, "Resume position"), posted with those results.

- HLS: `sequence` is the last media sequence whose audio ends before the covered time, `origin`
  the stream's time origin (from the first reader, kept by every reader after it).
- Pushed input: `input_entry` is the last entry of the room's input stream fully covered (a
  caption line at once, audio when the speech half has covered its end); for pushed audio,
  `origin` is the stream time at which the entry after it starts, so that a worker taking over
  places the audio it reads next at the same times.
- Any source: `stream_s`, the stream time before which all audio is covered.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

_EPSILON = 1e-3


@dataclass
class _Pending:
    key: int | str  # an HLS sequence or an input entry id
    end: float | None  # stream time its audio ends (None: a caption line, covered at once)


class RoomPosition:
    def __init__(self, resume: dict | None = None):
        resume = resume or {}
        self.sequence: int | None = resume.get("sequence")
        self.origin: float | None = resume.get("origin")
        self.stream_s: float | None = resume.get("stream_s")
        self.input_entry: str | None = resume.get("input_entry")
        self._blocks: deque[_Pending] = deque()
        self._inputs: deque[_Pending] = deque()
        self._pushed_audio = False
        self._lock = threading.Lock()

    def block(self, sequence: int | None, end: float, origin: float | None) -> None:
        """An HLS block (or a block of another source, `sequence` None) went to the speech half."""
        with self._lock:
            if origin is not None:
                self.origin = origin
            if sequence is not None:
                self._blocks.append(_Pending(sequence, end))

    def input(self, entry_id: str, end: float | None) -> None:
        """A pushed input entry was taken: a caption line (`end` None) or audio ending at `end`."""
        with self._lock:
            self._pushed_audio = self._pushed_audio or end is not None
            self._inputs.append(_Pending(entry_id, end))

    def snapshot(self, covered_s: float | None) -> dict:
        """The position now, given that the speech half covers the audio before `covered_s`."""
        with self._lock:
            if covered_s is not None:
                self.stream_s = max(self.stream_s or 0.0, covered_s)
            done = self.stream_s if self.stream_s is not None else 0.0
            while self._blocks and self._blocks[0].end <= done + _EPSILON:
                self.sequence = self._blocks.popleft().key
            while self._inputs and (
                self._inputs[0].end is None or self._inputs[0].end <= done + _EPSILON
            ):
                entry = self._inputs.popleft()
                self.input_entry = entry.key
                if entry.end is not None:
                    self.origin = entry.end
            return {
                "sequence": self.sequence,
                "origin": self.origin,
                "stream_s": None if self.stream_s is None else round(self.stream_s, 3),
                "input_entry": self.input_entry,
            }

"""Storing what a check found: the stream, its segments, and each sentence with hits as one flag
for review (all its hits, the sentence as context): one utterance is one flag, so it is decided
and, if confirmed, punished once. Idempotent: a segment is keyed by its start time in the stream
and a flag by where its sentence is, so checking the same stream again adds nothing."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace

import sqlite_utils

from .db import write_in_batches
from .flag_store import add_segments, lead_hit, record_utterance, start_stream
from .prereview import approved_script
from .report import Hit, Report
from .segments import Segment


def record_check(
    db: sqlite_utils.Database,
    report: Report,
    text: str,
    *,
    anchor_id: str,
    stream_id: str,
    product_id: str | None = None,
    source: str = "",
    segments: Sequence[Segment] = (),
) -> list[int]:
    """Store the stream (once), its segments and the report's hits; returns the flag ids.
    Segments and flags are written WRITE_BATCH_ROWS to a transaction, so a caption file of many
    thousand cues never holds the store's write lock for long; what a failed run stored stays,
    and running it again stores the rest (segments and flags are keyed, nothing is added twice)."""
    start_stream(db, stream_id, anchor_id, product_id, source)
    keyed = [(round(s.start * 1000), s) for s in segments]
    segment_ids = write_in_batches(db, keyed, lambda chunk: add_segments(db, stream_id, chunk))
    segment_starts = [s.start for s in segments]
    script = approved_script(db, anchor_id)
    utterances = Utterances(text)
    by_utterance: dict[tuple[int, int], list[Hit]] = {}
    for hit in report.hits:
        by_utterance.setdefault(utterances.around(hit.start), []).append(hit)

    def store(chunk: list[tuple[tuple[int, int], list[Hit]]]) -> list[int]:
        ids = []
        for (begin, end), hits in chunk:
            end = max(end, *(h.end for h in hits))
            local = [replace(h, start=h.start - begin, end=h.end - begin) for h in hits]
            ids.append(
                record_utterance(
                    db,
                    local,
                    text[begin:end],
                    anchor_id=anchor_id,
                    stream_id=stream_id,
                    segment_id=_segment_of(lead_hit(hits), segment_starts, segment_ids),
                    approved_script=script,
                )
            )
        return ids

    return write_in_batches(db, list(by_utterance.items()), store)


_UTTERANCE_END = re.compile(r"[。！？!?\n]+")


class Utterances:
    """The utterances of a text: what was said up to a sentence end or the end of a caption
    line. Its ends are found once, so placing every hit of a long transcript stays linear."""

    def __init__(self, text: str):
        self._length = len(text)
        self._marks = [(m.start(), m.end(), m.group()) for m in _UTTERANCE_END.finditer(text)]
        self._mark_ends = [end for _, end, _ in self._marks]

    def around(self, position: int) -> tuple[int, int]:
        """[start, end) of the utterance holding `position`, its closing mark included."""
        index = bisect_right(self._mark_ends, position)  # the first mark ending after it
        start = self._mark_ends[index - 1] if index else 0
        if index == len(self._marks):
            return start, self._length
        mark_start, _, mark = self._marks[index]
        end = mark_start + len(mark.rstrip("\n"))  # a line break is no text
        return start, max(end, position + 1)


def _segment_of(hit, starts: list[float], segment_ids: list[int]) -> int | None:
    """The stored segment a timed hit was said in (the last one starting at or before it)."""
    if not segment_ids or hit.time_start is None:
        return None
    return segment_ids[max(bisect_right(starts, hit.time_start) - 1, 0)]

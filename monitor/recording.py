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

from .db import transaction
from .flag_store import add_segments, lead_hit, record_utterance, start_stream
from .prereview import approved_script
from .report import Report
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
    """Store the stream (once), its segments and the report's hits; returns the flag ids."""
    with transaction(db):
        start_stream(db, stream_id, anchor_id, product_id, source)
        segment_ids = add_segments(db, stream_id, ((round(s.start * 1000), s) for s in segments))
        segment_starts = [s.start for s in segments]
        script = approved_script(db, anchor_id)
        ids: list[int] = []
        by_utterance: dict[tuple[int, int], list] = {}
        for hit in report.hits:
            by_utterance.setdefault(utterance_of(text, hit.start), []).append(hit)
        for (begin, end), hits in by_utterance.items():
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


_UTTERANCE_END = re.compile(r"[。！？!?\n]+")


def utterance_of(text: str, position: int) -> tuple[int, int]:
    """[start, end) of the utterance holding `position`: what was said up to a sentence end or
    the end of a caption line (its closing mark included), however many clauses it has."""
    start = 0
    for mark in _UTTERANCE_END.finditer(text):
        if mark.end() > position:
            end = mark.start() + len(mark.group().rstrip("\n"))  # a line break is no text
            return start, max(end, position + 1)
        start = mark.end()
    return start, len(text)


def _segment_of(hit, starts: list[float], segment_ids: list[int]) -> int | None:
    """The stored segment a timed hit was said in (the last one starting at or before it)."""
    if not segment_ids or hit.time_start is None:
        return None
    return segment_ids[max(bisect_right(starts, hit.time_start) - 1, 0)]

"""Storing what a check found: the stream, its segments, and each hit as a flag for review, with
the sentence around it as context. Idempotent: a segment is keyed by its start time in the
stream and a flag by what fired where, so checking the same stream again adds nothing."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace

import sqlite_utils

from .db import transaction
from .flag_store import add_segments, record_hits, start_stream
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
        starts = [s.start for s in report.sentences]
        for hit in report.hits:
            index = bisect_right(starts, hit.start) - 1
            begin, end = (
                (report.sentences[index].start, report.sentences[index].end)
                if index >= 0
                else (0, len(text))
            )
            end = max(end, hit.end)
            local = replace(hit, start=hit.start - begin, end=hit.end - begin)
            ids += record_hits(
                db,
                [local],
                text[begin:end],
                anchor_id=anchor_id,
                stream_id=stream_id,
                segment_id=_segment_of(hit, segment_starts, segment_ids),
                approved_script=script,
            )
    return ids


def _segment_of(hit, starts: list[float], segment_ids: list[int]) -> int | None:
    """The stored segment a timed hit was said in (the last one starting at or before it)."""
    if not segment_ids or hit.time_start is None:
        return None
    return segment_ids[max(bisect_right(starts, hit.time_start) - 1, 0)]

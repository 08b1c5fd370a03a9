"""Storing what a check found: the stream (once), its segments, and each sentence with hits as
one flag for review (all its hits, the sentence as context): one utterance is one flag, so it is
decided and, if confirmed, punished once.

Idempotent: a segment is keyed by (stream, seq) and a flag by a hash of where its utterance was
said, so checking the same stream again (after a restart) adds nothing twice. Reading flags back
is store/flag_queries.py.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import replace

import sqlite_utils

from monitor.errors import InputError
from monitor.ids import stream_id as checked_stream_id
from monitor.report import Hit, Report
from monitor.sources.segments import Segment
from monitor.store.db import now_iso, transaction, write_in_batches
from monitor.store.store_lists import approved_script
from monitor.text.utterances import Utterances


def start_stream(
    db: sqlite_utils.Database,
    stream_id: str,
    anchor_id: str,
    product_id: str | None = None,
    source: str = "",
) -> dict:
    """The stream, created on first sight (starting it again is harmless)."""
    stream_id = checked_stream_id(stream_id)
    with transaction(db):
        row = next(db.query("SELECT * FROM streams WHERE id = ?", [stream_id]), None)
        if row is not None:
            if row["anchor_id"] != anchor_id:
                raise InputError(
                    f"直播 {stream_id} 属于主播 {row['anchor_id']} / stream {stream_id} belongs to anchor {row['anchor_id']}"
                )
            return row
        if not db["anchors"].count_where("id = ?", [anchor_id]):
            raise InputError(f"主播不存在 / no anchor {anchor_id}")
        if product_id and not db["products"].count_where("id = ?", [product_id]):
            raise InputError(f"产品不存在 / no product {product_id}")
        row = {
            "id": stream_id,
            "anchor_id": anchor_id,
            "product_id": product_id,
            "source": source,
            "started_at": now_iso(),
            "ended_at": None,
        }
        db["streams"].insert(row)
    return row


def set_media_path(db: sqlite_utils.Database, stream_id: str, media_path: str) -> None:
    """Point the stream at its recording, so that a reviewer can play it from a flagged second."""
    with transaction(db):
        db.execute("UPDATE streams SET media_path = ? WHERE id = ?", [media_path, stream_id])


def add_segments(
    db: sqlite_utils.Database, stream_id: str, segments: Iterable[tuple[int, Segment]]
) -> list[int]:
    """Segment row ids for (seq, segment) pairs; a segment already stored keeps its row."""
    ids = []
    with transaction(db):
        for seq, segment in segments:
            db.execute(
                "INSERT OR IGNORE INTO segments (stream_id, seq, start_s, end_s, text, confidence, "
                "issues) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    stream_id, seq, segment.start, segment.end, segment.text,
                    segment.confidence, json.dumps(list(segment.issues)),
                ],
            )  # fmt: skip
            ids.append(
                db.execute(
                    "SELECT id FROM segments WHERE stream_id = ? AND seq = ?", [stream_id, seq]
                ).fetchone()[0]
            )
    return ids


_SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


def lead_hit(hits: Sequence[Hit]) -> Hit:
    """The hit that speaks for an utterance: the most severe, then the most certain, then first."""
    return min(hits, key=lambda h: (_SEVERITY_RANK.get(h.severity, 3), -h.score, h.start))


def record_utterance(
    db: sqlite_utils.Database,
    hits: Sequence[Hit],
    context: str,
    *,
    anchor_id: str | None,
    stream_id: str | None = None,
    segment_id: int | None = None,
    approved_script: str | None = None,
) -> int:
    """Store one utterance's hits (offsets into `context`) as one open flag, once; returns its id.
    The flag's own columns are its lead hit's; `hits` holds them all."""
    if not hits:
        raise ValueError("an utterance without hits is no flag")
    lead = lead_hit(hits)
    key = _dedupe_key(anchor_id, stream_id, hits, context)
    in_script = (
        None
        if approved_script is None
        else int(all(h.normalized in approved_script or h.text in approved_script for h in hits))
    )
    record = {
        "stream_id": stream_id,
        "anchor_id": anchor_id,
        "segment_id": segment_id,
        "created_at": now_iso(),
        "context": context,
        "start": lead.start,
        "end": lead.end,
        "text": lead.text,
        "time_start": lead.time_start,
        "time_end": lead.time_end,
        "category": lead.category,
        "severity": lead.severity,
        "source": lead.source,
        "rule": lead.rule,
        "score": lead.score,
        "basis": json.dumps(list(lead.basis), ensure_ascii=False),
        "explanation": lead.explanation,
        "suggestion": lead.suggestion,
        "hit": json.dumps(lead.to_dict(), ensure_ascii=False),
        "hits": json.dumps(
            [h.to_dict() for h in sorted(hits, key=lambda h: (h.start, h.end))], ensure_ascii=False
        ),
        "in_approved_script": in_script,
        "status": "open",
        "dedupe_key": key,
    }
    with transaction(db):
        db.execute(
            f"INSERT OR IGNORE INTO flags ({', '.join(record)}) VALUES ({', '.join('?' * len(record))})",
            list(record.values()),
        )
        return db.execute("SELECT id FROM flags WHERE dedupe_key = ?", [key]).fetchone()[0]


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


def _segment_of(hit, starts: list[float], segment_ids: list[int]) -> int | None:
    """The stored segment a timed hit was said in (the last one starting at or before it)."""
    if not segment_ids or hit.time_start is None:
        return None
    return segment_ids[max(bisect_right(starts, hit.time_start) - 1, 0)]


def _dedupe_key(
    anchor_id: str | None, stream_id: str | None, hits: Sequence[Hit], context: str
) -> str:
    """Where the utterance was said: the same sentence checked again is the same flag, whatever
    fired in it this time."""
    first = min(hits, key=lambda h: h.start)
    where = f"{first.time_start:.2f}" if first.time_start is not None else ""
    body = "\x1f".join(["utterance", anchor_id or "", stream_id or "", where, context])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()

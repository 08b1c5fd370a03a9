"""Read-only views of monitored streams and live rooms, as plain dicts for pages and the API:
streams with their anchor, workshop, product and flag counts, filtered and paged; one stream's transcript with each flag placed
on the span of its segment where it was said; live rooms with their latest events.

Only reads: nothing here writes to the store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.checking.detectors.fact_rules import named_certifications
from monitor.errors import StateConflict
from monitor.store.db import where_equal
from monitor.store.flag_queries import FLAG_STATUSES, count_flags, list_flags

_HAS_MEDIA = "(s.media_path IS NOT NULL AND s.media_path != '')"
_LIVE = "EXISTS (SELECT 1 FROM live_rooms r WHERE r.stream_id = s.id AND r.state = 'active')"
_HAS_FLAGS = "EXISTS (SELECT 1 FROM flags f WHERE f.stream_id = s.id)"
_STREAM_COLUMNS = (
    "s.id, s.anchor_id, s.product_id, s.source, s.started_at, s.ended_at, "
    f"{_HAS_MEDIA} AS has_media, {_LIVE} AS live, "
    "(SELECT COUNT(*) FROM segments g WHERE g.stream_id = s.id) AS segments, "
    "a.name AS anchor_name, a.workshop_id, w.name AS workshop, p.name AS product, "
    "c.grade AS grade_id"
)
_STREAM_JOINS = (
    "FROM streams s JOIN anchors a ON a.id = s.anchor_id "
    "LEFT JOIN workshops w ON w.id = a.workshop_id "
    "LEFT JOIN products p ON p.id = s.product_id "
    "LEFT JOIN credit_state c ON c.anchor_id = s.anchor_id"
)


def list_streams(
    db: sqlite_utils.Database,
    *,
    limit: int = 20,
    offset: int = 0,
    **filters: Any,
) -> list[dict[str, Any]]:
    """Streams newest first, each with its anchor, workshop, product, stored grade id (None
    before the first recompute), whether a recording exists, whether a live room is watching it
    now (`live`), its segment count and its flags counted by status. `filters` are those of
    `count_streams`."""
    where, params = _stream_where(**filters)
    rows = list(
        db.query(
            f"SELECT {_STREAM_COLUMNS} {_STREAM_JOINS} {where} "
            "ORDER BY s.started_at DESC, s.rowid DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
    )
    counts = _flag_counts(db, [row["id"] for row in rows])
    for row in rows:
        row["has_media"], row["live"] = bool(row["has_media"]), bool(row["live"])
        row["flags"] = counts.get(row["id"], dict.fromkeys(FLAG_STATUSES, 0))
    return rows


def count_streams(db: sqlite_utils.Database, **filters: Any) -> int:
    """How many streams `list_streams` would give with these filters, without paging."""
    where, params = _stream_where(**filters)
    return db.execute(f"SELECT COUNT(*) {_STREAM_JOINS} {where}", params).fetchone()[0]


def _stream_where(
    *,
    workshop_id: str | None = None,
    anchor_id: str | None = None,
    started_since: str | None = None,
    started_before: str | None = None,
    live: bool | None = None,
    has_flags: bool | None = None,
    flag_status: str | None = None,
    has_media: bool | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE clause for the filters given (None leaves one out). Times are stored UTC text:
    `started_since` inclusive, `started_before` exclusive. `live`: a live room is watching the
    stream now; `flag_status`: at least one flag in that status."""
    clauses, params = [], []
    for condition, value in (
        ("a.workshop_id = ?", workshop_id),
        ("s.anchor_id = ?", anchor_id),
        ("s.started_at >= ?", started_since),
        ("s.started_at < ?", started_before),
        ("EXISTS (SELECT 1 FROM flags f WHERE f.stream_id = s.id AND f.status = ?)", flag_status),
    ):
        if value is not None:
            clauses.append(condition)
            params.append(value)
    for condition, wanted in ((_LIVE, live), (_HAS_FLAGS, has_flags), (_HAS_MEDIA, has_media)):
        if wanted is not None:
            clauses.append(condition if wanted else f"NOT {condition}")
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


def _flag_counts(db: sqlite_utils.Database, stream_ids: list[str]) -> dict[str, dict[str, int]]:
    if not stream_ids:
        return {}
    counts: dict[str, dict[str, int]] = {}
    for stream_id, status, n in db.execute(
        f"SELECT stream_id, status, COUNT(*) FROM flags WHERE stream_id IN "
        f"({', '.join('?' * len(stream_ids))}) GROUP BY stream_id, status",
        stream_ids,
    ):
        counts.setdefault(stream_id, dict.fromkeys(FLAG_STATUSES, 0))[status] = n
    return counts


def get_stream_view(db: sqlite_utils.Database, stream_id: str) -> dict[str, Any] | None:
    """One stream as `list_streams` gives it, with its product's origin, producer and
    certifications; None when there is no such stream."""
    row = next(
        db.query(
            f"SELECT {_STREAM_COLUMNS}, p.origin, p.producer, p.certifications "
            f"{_STREAM_JOINS} WHERE s.id = ?",
            [stream_id],
        ),
        None,
    )
    if row is None:
        return None
    row["has_media"], row["live"] = bool(row["has_media"]), bool(row["live"])
    row["certifications"] = named_certifications(json.loads(row["certifications"] or "[]"))
    row["flags"] = _flag_counts(db, [stream_id]).get(stream_id, dict.fromkeys(FLAG_STATUSES, 0))
    return row


def find_stream(db: sqlite_utils.Database, stream_id: str) -> dict[str, Any] | None:
    """The stored stream row (anchor, product, source, recording's `media_path`), or None."""
    return next(db.query("SELECT * FROM streams WHERE id = ?", [stream_id]), None)


def check_stream_anchor(db: sqlite_utils.Database, stream_id: str, anchor_id: str) -> None:
    """Refuse (`StateConflict`, code "stream_conflict") a stream id stored under another anchor:
    results under it would be filed to the wrong anchor. The owner is not named."""
    stream = find_stream(db, stream_id)
    if stream is not None and stream["anchor_id"] != anchor_id:
        raise StateConflict(
            f"直播 {stream_id} 属于其他主播 / stream {stream_id} belongs to another anchor",
            "stream_conflict",
        )


def stream_transcript(db: sqlite_utils.Database, stream_id: str) -> dict[str, Any]:
    """The stream's segments in order, each with its speech-recognition `confidence`, its
    reliability `issues` (speech/transcript_reliability.py) and `flags` (those said in it, with `span`:
    their (start, end) in the segment's text, or None when the text is not found there); all the
    stream's flags in time order (`flags`); and those that belong to no segment (`unplaced`)."""
    segments = list(
        db.query(
            "SELECT id, seq, start_s, end_s, text, confidence, issues FROM segments "
            "WHERE stream_id = ? ORDER BY seq",
            [stream_id],
        )
    )
    total = count_flags(db, stream_id=stream_id)
    flags = list_flags(db, stream_id=stream_id, limit=max(total, 1), order="time")
    flags.sort(key=lambda f: (f["time_start"] is None, f["time_start"] or 0.0, f["id"]))
    by_id = {segment["id"]: segment for segment in segments}
    for segment in segments:
        segment["flags"] = []
        segment["issues"] = json.loads(segment["issues"])
    unplaced = []
    for flag in flags:
        segment = by_id.get(flag["segment_id"]) or _segment_holding(segments, flag)
        if segment is None:
            unplaced.append(flag)
            continue
        segment["flags"].append({**flag, "span": flag_span(segment["text"], flag)})
    return {"segments": segments, "flags": flags, "unplaced": unplaced}


def _segment_holding(segments: list[dict], flag: dict) -> dict | None:
    """For a flag stored without its segment: the segment holding its text nearest its time."""
    holding = [s for s in segments if flag["text"] and flag["text"] in s["text"]]
    if not holding:
        return None
    at = flag["time_start"]
    return min(holding, key=lambda s: abs(s["start_s"] - at)) if at is not None else holding[0]


def flag_span(text: str, flag: dict[str, Any]) -> tuple[int, int] | None:
    """Where the flag's text is in `text` (its segment): the occurrence preceded by the same
    words as in the flag's context, else the one nearest the flag's offset in its context."""
    needle = flag["text"]
    found = [i for i in range(len(text)) if needle and text.startswith(needle, i)]
    if not found:
        return None
    # The context may begin in an earlier segment; segments are joined by line breaks.
    before = flag["context"][: flag["start"]].rsplit("\n", 1)[-1]
    exact = text.find(before + needle) if before else -1
    at = exact + len(before) if exact >= 0 else min(found, key=lambda i: abs(i - flag["start"]))
    return at, at + len(needle)


def anchor_streams(db: sqlite_utils.Database, anchor_id: str, limit: int = 10) -> list[dict]:
    """An anchor's latest streams, as `list_streams` gives them."""
    return list_streams(db, anchor_id=anchor_id, limit=limit)


def live_room_views(
    db: sqlite_utils.Database,
    *,
    owner_key_id: int | None = None,
    anchor_id: str | None = None,
    limit: int = 30,
    events: int = 6,
) -> list[dict[str, Any]]:
    """Live rooms, active ones first then newest, with the anchor's name, whether their stream is
    stored yet, and their latest `events` events (newest first)."""
    where, params = where_equal(("r.owner_key_id", owner_key_id), ("r.anchor_id", anchor_id))
    rooms = list(
        db.query(
            "SELECT r.*, a.name AS anchor_name, "
            "EXISTS (SELECT 1 FROM streams s WHERE s.id = r.stream_id) AS stream_stored "
            f"FROM live_rooms r JOIN anchors a ON a.id = r.anchor_id {where} "
            "ORDER BY r.state = 'active' DESC, r.id DESC LIMIT ?",
            [*params, limit],
        )
    )
    for room in rooms:
        room["stream_stored"] = bool(room["stream_stored"])
        room["events"] = [
            {"seq": seq, "at": at, "type": kind, **json.loads(payload)}
            for seq, at, kind, payload in db.execute(
                "SELECT seq, at, type, payload FROM live_events WHERE room_id = ? "
                "ORDER BY seq DESC LIMIT ?",
                [room["id"], events],
            )
        ]
        room["blocked"] = (
            db.execute(
                "SELECT EXISTS (SELECT 1 FROM live_events WHERE room_id = ? AND type = 'result' "
                "AND json_extract(payload, '$.verdict') = 'block')",
                [room["id"]],
            ).fetchone()[0]
            == 1
        )
    return rooms


def recording_file(media_path: str | None, files_dir: Path) -> Path | None:
    """The file of a stream's recording (`streams.media_path`, absolute or relative to the
    service's files folder), or None when there is none or it is gone."""
    if not media_path:
        return None
    path = Path(media_path)
    if not path.is_absolute():
        inside = files_dir.parts
        if path.parts[: len(inside)] == inside:  # stored with the files folder by older demos
            path = Path(*path.parts[len(inside) :])
        path = files_dir / path
    return path if path.is_file() else None

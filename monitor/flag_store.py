"""Streams, their segments and the flags their checks raised, stored for review.

Storing is idempotent: a segment is keyed by (stream, seq) and a flag by a hash of where it is
and what fired, so a stream processed again after a restart adds nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from .db import now_iso, transaction
from .errors import InputError
from .ids import stream_id as checked_stream_id
from .report import Hit
from .segments import Segment

FLAG_STATUSES = ("open", "confirmed", "dismissed")


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


FLAG_ORDERS = ("risk", "time", "decided")
# A status filter: one of FLAG_STATUSES, or "decided" for confirmed and dismissed together.
FLAG_STATUS_FILTERS = (*FLAG_STATUSES, "decided")
_ORDER_SQL = {
    "risk": "CASE flags.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, "
    "flags.score DESC, flags.id DESC",
    "time": "flags.created_at DESC, flags.id DESC",
    "decided": "d.decided_at DESC, flags.id DESC",
}
# A flag with its anchor's workshop and name, and its decision and violation once decided.
_FLAG_SELECT = (
    "SELECT flags.*, anchors.workshop_id, anchors.name AS anchor_name, d.id AS d_id, "
    "d.decision AS d_decision, d.category AS d_category, d.severity AS d_severity, "
    "d.note AS d_note, d.reason AS d_reason, d.reviewer AS d_reviewer, "
    "d.decided_at AS d_decided_at, v.id AS d_violation_id FROM flags "
    "LEFT JOIN anchors ON anchors.id = flags.anchor_id "
    "LEFT JOIN review_decisions d ON d.flag_id = flags.id "
    "LEFT JOIN violations v ON v.flag_id = flags.id"
)
_DECISION_COLUMNS = (
    "id", "decision", "category", "severity", "note", "reason", "reviewer", "decided_at",
    "violation_id",
)  # fmt: skip


def list_flags(
    db: sqlite_utils.Database,
    *,
    status: str | None = None,
    anchor_id: str | None = None,
    stream_id: str | None = None,
    workshop_id: str | None = None,
    category: str | None = None,
    since: str | None = None,
    until: str | None = None,
    search: str | None = None,
    limit: int = 100,
    offset: int = 0,
    order: str = "risk",
) -> list[dict[str, Any]]:
    """Flags, riskiest first (blocking severity and score, then newest), newest first when
    `order` is "time", latest decision first when it is "decided". `search` finds text in the
    utterance, the anchor's id or name, or one of its platform accounts."""
    if order not in FLAG_ORDERS:
        raise InputError(f"未知排序 / unknown order {order!r} (known: {', '.join(FLAG_ORDERS)})")
    where, params = _flag_filters(
        status, anchor_id, stream_id, workshop_id, category, since, until, search
    )
    sql = f"{_FLAG_SELECT} {where} ORDER BY {_ORDER_SQL[order]} LIMIT ? OFFSET ?"
    return [_flag(row) for row in db.query(sql, [*params, limit, offset])]


def count_flags(
    db: sqlite_utils.Database,
    *,
    status: str | None = None,
    anchor_id: str | None = None,
    stream_id: str | None = None,
    workshop_id: str | None = None,
    category: str | None = None,
    since: str | None = None,
    until: str | None = None,
    search: str | None = None,
) -> int:
    """How many flags `list_flags` would give with the same filters and no limit."""
    where, params = _flag_filters(
        status, anchor_id, stream_id, workshop_id, category, since, until, search
    )
    sql = f"SELECT COUNT(*) FROM flags LEFT JOIN anchors ON anchors.id = flags.anchor_id {where}"
    return db.execute(sql, params).fetchone()[0]


def _flag_filters(
    status, anchor_id, stream_id, workshop_id, category, since, until, search
) -> tuple[str, list[Any]]:
    """The WHERE clause (or "") and its parameters for the flag filters."""
    if status is not None and status not in FLAG_STATUS_FILTERS:
        raise InputError(
            f"未知状态 / unknown status {status!r} (known: {', '.join(FLAG_STATUS_FILTERS)})"
        )
    where, params = [], []
    for column, value in (
        ("flags.status", status if status != "decided" else None),
        ("flags.anchor_id", anchor_id),
        ("flags.stream_id", stream_id),
        ("flags.category", category),
        ("anchors.workshop_id", workshop_id),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if status == "decided":
        where.append("flags.status != 'open'")
    if since:
        where.append("flags.created_at >= ?")
        params.append(since)
    if until:
        where.append("flags.created_at < ?")
        params.append(until)
    if search and search.strip():
        where.append(_SEARCH_SQL)
        params += [_like(search.strip())] * 4
    return (f"WHERE {' AND '.join(where)}" if where else ""), params


_SEARCH_SQL = (
    "(flags.context LIKE ? ESCAPE '\\' OR flags.anchor_id LIKE ? ESCAPE '\\' "
    "OR anchors.name LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM platform_accounts p "
    "WHERE p.anchor_id = flags.anchor_id AND (p.platform || ':' || p.account) LIKE ? "
    "ESCAPE '\\'))"
)


def _like(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def get_stream(db: sqlite_utils.Database, stream_id: str) -> dict[str, Any]:
    """A stream with its anchor's workshop, segment count and its flags counted by status."""
    row = next(
        db.query(
            "SELECT streams.*, anchors.workshop_id, "
            "(SELECT COUNT(*) FROM segments WHERE stream_id = streams.id) AS segments "
            "FROM streams JOIN anchors ON anchors.id = streams.anchor_id WHERE streams.id = ?",
            [stream_id],
        ),
        None,
    )
    if row is None:
        raise InputError(f"直播不存在 / no stream {stream_id}")
    counts = dict(
        db.execute(
            "SELECT status, COUNT(*) FROM flags WHERE stream_id = ? GROUP BY status", [stream_id]
        ).fetchall()
    )
    row["flags"] = {status: counts.get(status, 0) for status in FLAG_STATUSES}
    return row


def get_flag(db: sqlite_utils.Database, flag_id: int) -> dict[str, Any]:
    """A flag with its anchor's workshop and name, and its decision (None while open)."""
    row = next(db.query(f"{_FLAG_SELECT} WHERE flags.id = ?", [flag_id]), None)
    if row is None:
        raise InputError(f"标记不存在 / no flag {flag_id}")
    return _flag(row)


def flag_detail(db: sqlite_utils.Database, flag_id: int) -> dict[str, Any]:
    """A flag with what a reviewer needs beside it: its stream's times, its segment's place in
    the stream, and the decision taken on it (None while open)."""
    flag = get_flag(db, flag_id)
    flag["stream"] = next(
        db.query(
            "SELECT id, product_id, source, started_at, ended_at, media_path IS NOT NULL AS has_media "
            "FROM streams WHERE id = ?",
            [flag["stream_id"]],
        ),
        None,
    )
    if flag["stream"] is not None:
        flag["stream"]["has_media"] = bool(flag["stream"]["has_media"])
    flag["segment"] = next(
        db.query("SELECT seq, start_s, end_s FROM segments WHERE id = ?", [flag["segment_id"]]),
        None,
    )
    return flag


def _flag(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["basis"] = json.loads(row["basis"])
    row["hit"] = json.loads(row["hit"])
    row["hits"] = json.loads(row.get("hits") or "[]") or [row["hit"]]
    row["categories"] = sorted({h["category"] for h in row["hits"]} | {row["category"]})
    row.pop("dedupe_key", None)
    if row["in_approved_script"] is not None:
        row["in_approved_script"] = bool(row["in_approved_script"])
    decision = {name: row.pop(f"d_{name}") for name in _DECISION_COLUMNS}
    row["decision"] = decision if decision["id"] is not None else None
    return row


def _dedupe_key(
    anchor_id: str | None, stream_id: str | None, hits: Sequence[Hit], context: str
) -> str:
    """Where the utterance was said: the same sentence checked again is the same flag, whatever
    fired in it this time."""
    first = min(hits, key=lambda h: h.start)
    where = f"{first.time_start:.2f}" if first.time_start is not None else ""
    body = "\x1f".join(["utterance", anchor_id or "", stream_id or "", where, context])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()

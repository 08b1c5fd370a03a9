"""Reading stored flags and streams back for review: the flag queue filtered, searched and
ordered, one flag with its decision, and a stream with its flags counted by status. Writing them
is store/flag_store.py."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from monitor.errors import InputError

FLAG_STATUSES = ("open", "confirmed", "dismissed")
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

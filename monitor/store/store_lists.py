"""Paged lists of store records (registry, violations, appeals, repairs, scripts, blacklist): each
function returns one page of rows and the total the filters match, `(items, total)`; and single
records by id. Reading only."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from monitor.errors import InputError
from monitor.store.credit_causes import describe, violation_of
from monitor.store.db import now_iso, where_equal

# A violation stands, is under a pending appeal, or was overturned by an upheld one.
VIOLATION_STATUSES = ("standing", "appealed", "overturned")
APPEAL_STATUSES = ("pending", "upheld", "rejected")
REPAIR_STATUSES = ("pending", "granted", "refused")
SCRIPT_STATUSES = ("checked", "pending", "approved", "returned")
# Waiting work first (oldest first, as a queue), then the rest newest first.
_PENDING_FIRST = "status != 'pending', CASE WHEN status = 'pending' THEN id ELSE -id END"
# A script in a list: its check's verdict and hit count, not the whole report.
_SCRIPT_COLUMNS = (
    "id, anchor_id, product_id, submitted_at, for_stream_at, status, reviewer, comments, "
    "decided_at, json_extract(report, '$.verdict') AS verdict, "
    "json_array_length(report, '$.hits') AS hits"
)
VIOLATION_STATUS_SQL = (
    "CASE WHEN EXISTS (SELECT 1 FROM appeals p WHERE p.violation_id = v.id AND p.status = 'upheld') "
    "THEN 'overturned' WHEN EXISTS (SELECT 1 FROM appeals p WHERE p.violation_id = v.id "
    "AND p.status = 'pending') THEN 'appealed' ELSE 'standing' END"
)

_OF_ANCHOR = (
    "workshop_id = (SELECT workshop_id FROM anchors WHERE id = ?) "
    "OR id IN (SELECT product_id FROM streams WHERE anchor_id = ?) "
    "OR id IN (SELECT product_id FROM scripts WHERE anchor_id = ?)"
)

Page = tuple[list[dict[str, Any]], int]


def list_workshops(db: sqlite_utils.Database, *, limit: int = 50, offset: int = 0) -> Page:
    return _page(db, "SELECT * FROM workshops", [], "id", limit, offset)


def list_anchors(
    db: sqlite_utils.Database,
    *,
    workshop_id: str | None = None,
    anchor_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Anchors with their platform accounts, by id."""
    where, params = where_equal(("workshop_id", workshop_id), ("id", anchor_id))
    items, total = _page(db, f"SELECT * FROM anchors {where}", params, "id", limit, offset)
    for row in items:
        row["accounts"] = [
            f"{r['platform']}:{r['account']}"
            for r in db.query(
                "SELECT platform, account FROM platform_accounts WHERE anchor_id = ? "
                "ORDER BY platform, account",
                [row["id"]],
            )
        ]
    return items, total


def list_products(
    db: sqlite_utils.Database,
    *,
    workshop_id: str | None = None,
    anchor_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Products by id; with `anchor_id`, the anchor's own: its workshop's, and those its streams
    or scripts were about."""
    where, params = where_equal(("workshop_id", workshop_id))
    sql = f"SELECT * FROM products {where}"
    if anchor_id is not None:
        sql = f"SELECT * FROM ({sql}) WHERE {_OF_ANCHOR}"
        params = [*params, anchor_id, anchor_id, anchor_id]
    items, total = _page(db, sql, params, "id", limit, offset)
    for row in items:
        row["certifications"] = json.loads(row["certifications"])
        row["registration_numbers"] = json.loads(row["registration_numbers"])
    return items, total


def list_violations(
    db: sqlite_utils.Database,
    *,
    anchor_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Violations, newest first, each with its status (standing, appealed, overturned)."""
    _known(status, VIOLATION_STATUSES)
    where, params = where_equal(("anchor_id", anchor_id), ("status", status))
    sql = f"SELECT * FROM (SELECT v.*, {VIOLATION_STATUS_SQL} AS status FROM violations v) {where}"
    return _page(db, sql, params, "occurred_at DESC, id DESC", limit, offset)


def get_violation(db: sqlite_utils.Database, violation_id: int) -> dict[str, Any] | None:
    sql = f"SELECT v.*, {VIOLATION_STATUS_SQL} AS status FROM violations v WHERE v.id = ?"
    return next(db.query(sql, [violation_id]), None)


def list_appeals(
    db: sqlite_utils.Database,
    *,
    status: str | None = None,
    anchor_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Appeals with the anchor of their violation, oldest pending first, then newest."""
    _known(status, APPEAL_STATUSES)
    where, params = where_equal(("status", status), ("anchor_id", anchor_id))
    sql = (
        "SELECT * FROM (SELECT p.*, v.anchor_id FROM appeals p "
        f"JOIN violations v ON v.id = p.violation_id) {where}"
    )
    return _page(db, sql, params, _PENDING_FIRST, limit, offset)


def anchor_appeals(db: sqlite_utils.Database, anchor_id: str) -> list[dict[str, Any]]:
    """Every appeal against one anchor's violations, newest filed first (for the anchor's page)."""
    return list(
        db.query(
            "SELECT p.* FROM appeals p JOIN violations v ON v.id = p.violation_id "
            "WHERE v.anchor_id = ? ORDER BY p.filed_at DESC, p.id DESC",
            [anchor_id],
        )
    )


def get_appeal(db: sqlite_utils.Database, appeal_id: int) -> dict[str, Any] | None:
    return next(
        db.query(
            "SELECT p.*, v.anchor_id FROM appeals p JOIN violations v ON v.id = p.violation_id "
            "WHERE p.id = ?",
            [appeal_id],
        ),
        None,
    )


def all_violations(db: sqlite_utils.Database, anchor_id: str) -> list[dict[str, Any]]:
    """Every violation of one anchor, newest first, with its status (for the anchor's page)."""
    return list_violations(db, anchor_id=anchor_id, limit=-1)[0]  # SQLite: LIMIT -1 is no limit


def list_repairs(
    db: sqlite_utils.Database,
    *,
    status: str | None = None,
    anchor_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Credit repair and early-removal applications, oldest pending first, then newest."""
    _known(status, REPAIR_STATUSES)
    where, params = where_equal(("status", status), ("anchor_id", anchor_id))
    return _page(db, f"SELECT * FROM credit_repairs {where}", params, _PENDING_FIRST, limit, offset)


def get_repair(db: sqlite_utils.Database, repair_id: int) -> dict[str, Any] | None:
    return next(db.query("SELECT * FROM credit_repairs WHERE id = ?", [repair_id]), None)


def list_scripts(
    db: sqlite_utils.Database,
    *,
    status: str | None = None,
    anchor_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Submitted scripts with their check's verdict and hit count (not the text or report),
    oldest pending first, then newest."""
    _known(status, SCRIPT_STATUSES)
    where, params = where_equal(("status", status), ("anchor_id", anchor_id))
    sql = f"SELECT {_SCRIPT_COLUMNS} FROM scripts {where}"
    return _page(db, sql, params, _PENDING_FIRST, limit, offset)


def get_script(db: sqlite_utils.Database, script_id: int) -> dict[str, Any] | None:
    return next(db.query("SELECT * FROM scripts WHERE id = ?", [script_id]), None)


def script_detail(db: sqlite_utils.Database, script_id: int) -> dict[str, Any] | None:
    """One script as listed, plus its text and its check report (parsed)."""
    sql = f"SELECT {_SCRIPT_COLUMNS}, text, report FROM scripts WHERE id = ?"
    row = next(db.query(sql, [script_id]), None)
    if row is not None:
        row["report"] = json.loads(row["report"])
    return row


def blacklist_in_force(db: sqlite_utils.Database, *, limit: int = 50, offset: int = 0) -> Page:
    """Blacklist entries in force now (not removed, not yet ended), newest first, each with its
    reason in words (`with_worded_reason`)."""
    sql = (
        "SELECT b.id, b.anchor_id, a.name, b.listed_at, b.until, b.reason "
        "FROM blacklist_entries b JOIN anchors a ON a.id = b.anchor_id "
        "WHERE b.removed_at IS NULL AND b.until > ?"
    )
    items, total = _page(db, sql, [now_iso()], "b.listed_at DESC, b.id DESC", limit, offset)
    return with_worded_reason(db, items), total


def current_listing(db: sqlite_utils.Database, anchor_id: str) -> dict[str, Any] | None:
    """The anchor's latest blacklist entry not removed (`listed_at`, `until`), or None."""
    return next(
        db.query(
            "SELECT listed_at, until FROM blacklist_entries WHERE anchor_id = ? "
            "AND removed_at IS NULL ORDER BY listed_at DESC, id DESC LIMIT 1",
            [anchor_id],
        ),
        None,
    )


def pending_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """How many appeals, repair applications and scripts wait for a decision, and in all."""
    counts = {
        "appeals": db["appeals"].count_where("status = 'pending'"),
        "repairs": db["credit_repairs"].count_where("status = 'pending'"),
        "scripts": db["scripts"].count_where("status = 'pending'"),
    }
    return {**counts, "total": sum(counts.values())}


def with_worded_reason(db: sqlite_utils.Database, rows: Iterable[dict]) -> list[dict]:
    """Blacklist rows with `cause` (the stored reason), the `violation_id` it names, and `reason`
    in words, Chinese first, naming the violation's category (monitor.store.credit_causes)."""
    rows = [
        {**row, "cause": row["reason"], "violation_id": violation_of(row["reason"])} for row in rows
    ]
    ids = sorted({row["violation_id"] for row in rows} - {None})
    marks = ", ".join("?" * len(ids))
    found = {
        v["id"]: v
        for v in db.query(
            f"SELECT id, category, severity FROM violations WHERE id IN ({marks})", ids
        )
    }
    return [
        {**row, "reason": describe(row["cause"], found.get(row["violation_id"]))} for row in rows
    ]


def _page(
    db: sqlite_utils.Database, sql: str, params: list, order: str, limit: int, offset: int
) -> Page:
    total = db.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()[0]
    items = list(db.query(f"{sql} ORDER BY {order} LIMIT ? OFFSET ?", [*params, limit, offset]))
    return items, total


def _known(status: str | None, known: tuple[str, ...]) -> None:
    if status is not None and status not in known:
        raise InputError(f"未知状态 / unknown status {status!r} (known: {', '.join(known)})")


def approved_script(db: sqlite_utils.Database, anchor_id: str) -> str | None:
    """The latest approved script of the anchor, the reference for their streams' flags."""
    row = db.execute(
        "SELECT text FROM scripts WHERE anchor_id = ? AND status = 'approved' ORDER BY decided_at DESC, id DESC LIMIT 1",
        [anchor_id],
    ).fetchone()
    return row[0] if row else None

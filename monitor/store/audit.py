"""The append-only audit log: every decision and every change of score, grade or blacklist state,
hash-chained so that altering or removing a row is detectable (`qinglang audit verify`).

Each row's hash is SHA-256 over the previous row's hash and the row's canonical JSON; the first
row chains from 64 zeros. Triggers refuse UPDATE and DELETE; the chain catches what bypasses
them (editing the file directly). Removing rows from the end is caught by comparing with the
head the caller kept (`verify(db, expected_head=...)`), e.g. the hash published in a disclosure.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from monitor.store.db import now_iso, transaction

GENESIS = "0" * 64


def _digest(
    prev_hash: str, seq: int, at: str, actor: str, action: str, subject: str, detail: str
) -> str:
    body = json.dumps(
        [seq, at, actor, action, subject, detail], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(
    db: sqlite_utils.Database, actor: str, action: str, subject: str, detail: dict[str, Any]
) -> int:
    """Add one entry inside the caller's transaction (or its own); returns its sequence number."""
    with transaction(db):
        last = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        at = now_iso()
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
        digest = _digest(prev_hash, seq, at, actor, action, subject, text)
        db.execute(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [seq, at, actor, action, subject, text, prev_hash, digest],
        )
    return seq


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    head: str
    problem: str = ""
    bad_seq: int | None = None


def verify(db: sqlite_utils.Database, expected_head: str | None = None) -> Verification:
    """Walk the chain from the first entry; the first row that does not fit is named."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    rows = db.execute(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq"
    )
    for seq, at, actor, action, subject, detail, stored_prev, stored_hash in rows:
        if seq != expected_seq:
            return Verification(
                False,
                count,
                prev_hash,
                f"entry {expected_seq} is missing (next is {seq})",
                expected_seq,
            )
        if stored_prev != prev_hash:
            return Verification(
                False, count, prev_hash, f"entry {seq} does not follow entry {seq - 1}", seq
            )
        if _digest(prev_hash, seq, at, actor, action, subject, detail) != stored_hash:
            return Verification(False, count, prev_hash, f"entry {seq} was altered", seq)
        prev_hash, expected_seq, count = stored_hash, seq + 1, count + 1
    if expected_head is not None and expected_head != prev_hash:
        return Verification(
            False,
            count,
            prev_hash,
            "the log does not end at the expected head (entries removed from the end?)",
            count + 1,
        )
    return Verification(True, count, prev_hash)


def entries(db: sqlite_utils.Database, subject: str | None = None, limit: int = 1000) -> list[dict]:
    where, params = ("WHERE subject = ?", [subject]) if subject else ("", [])
    rows = db.query(f"SELECT * FROM audit_log {where} ORDER BY seq DESC LIMIT ?", [*params, limit])
    return [{**row, "detail": json.loads(row["detail"])} for row in rows]

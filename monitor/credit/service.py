"""Credit in the store: gather an anchor's violations, upheld appeals and granted repairs, ask the
pure credit rules (`monitor.credit.rules`), and keep `credit_state` and `blacklist_entries` in step,
writing every change of score, grade or blacklist state to the audit log and every change of what
the anchor may do to the webhook outbox (`anchor.eligibility_changed`)."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from monitor.credit.policy import CreditPolicy, Restriction
from monitor.credit.rules import CreditState, RepairRecord, ViolationRecord, credit_at
from monitor.notify.outbox import enqueue_event
from monitor.store import audit
from monitor.store.credit_causes import RECOMPUTE, describe, violation_of
from monitor.store.db import now_iso, parse_time, transaction
from monitor.store.registry import find_anchor


def anchor_records(
    db: sqlite_utils.Database, anchor_id: str
) -> tuple[list[ViolationRecord], list[RepairRecord]]:
    violations = [
        ViolationRecord(
            id=row["id"],
            anchor_id=anchor_id,
            category=row["category"],
            severity=row["severity"],
            occurred_at=parse_time(row["occurred_at"]),
            overturned_at=parse_time(row["overturned_at"]) if row["overturned_at"] else None,
        )
        for row in db.query(
            "SELECT v.*, (SELECT MIN(decided_at) FROM appeals a WHERE a.violation_id = v.id "
            "AND a.status = 'upheld') AS overturned_at FROM violations v WHERE anchor_id = ? "
            "ORDER BY occurred_at, id",
            [anchor_id],
        )
    ]
    repairs = [
        RepairRecord(
            id=row["id"],
            anchor_id=anchor_id,
            kind=row["kind"],
            granted_at=parse_time(row["decided_at"]),
        )
        for row in db.query(
            "SELECT * FROM credit_repairs WHERE anchor_id = ? AND status = 'granted' ORDER BY decided_at, id",
            [anchor_id],
        )
    ]
    return violations, repairs


def stored_credit(db: sqlite_utils.Database, anchor_ids: list[str] | None = None) -> list[dict]:
    """Anchors (all, or those of `anchor_ids`) by id, with their workshop's name and their credit
    as of the last recompute (`score`, `grade`, `blacklisted_until`, `computed_at`; None when
    never computed)."""
    sql = (
        "SELECT a.id, a.name, a.workshop_id, w.name AS workshop, c.score, c.grade, "
        "c.blacklisted_until, c.computed_at FROM anchors a "
        "LEFT JOIN workshops w ON w.id = a.workshop_id "
        "LEFT JOIN credit_state c ON c.anchor_id = a.id"
    )
    if anchor_ids is not None:
        sql += f" WHERE a.id IN ({', '.join('?' * len(anchor_ids))})"
    return list(db.query(sql + " ORDER BY a.id", anchor_ids or []))


def anchor_credit(
    db: sqlite_utils.Database, reference: str, policy: CreditPolicy, at: datetime | None = None
) -> CreditState:
    """The credit of an anchor (by id or PLATFORM:ACCOUNT) now or at another time."""
    anchor = find_anchor(db, reference)
    violations, repairs = anchor_records(db, anchor["id"])
    return credit_at(policy, anchor["id"], violations, repairs, at or parse_time(now_iso()))


def refresh_credit(
    db: sqlite_utils.Database, anchor_id: str, policy: CreditPolicy, actor: str, cause: str
) -> CreditState:
    """Recompute now; store the state; audit any change of score, grade or blacklist; enqueue an
    `anchor.eligibility_changed` webhook event when what the anchor may do changed."""
    with transaction(db):
        state = anchor_credit(db, anchor_id, policy)
        before = next(db.query("SELECT * FROM credit_state WHERE anchor_id = ?", [anchor_id]), None)
        until = now_iso(state.blacklisted_until) if state.blacklisted_until else None
        row = {
            "anchor_id": anchor_id,
            "score": state.score,
            "grade": state.grade,
            "blacklisted_until": until,
            "computed_at": now_iso(),
            "policy_version": policy.version,
        }
        db["credit_state"].upsert(row, pk="anchor_id")
        old = (
            (before["score"], before["grade"], before["blacklisted_until"])
            if before
            else (policy.start_score, policy.grades[0].id, None)
        )
        if old != (state.score, state.grade, until):
            audit.append(
                db,
                actor,
                "credit.change",
                f"anchor:{anchor_id}",
                {
                    "cause": cause,
                    "score": [old[0], state.score],
                    "grade": [old[1], state.grade],
                    "blacklisted_until": [old[2], until],
                    "policy_version": policy.version,
                },
            )
        _sync_blacklist(db, anchor_id, state, old[2], until, actor, cause)
        was, now = standing(policy, old[1], old[2]), standing(policy, state.grade, until)
        if was != now:
            enqueue_event(
                db,
                "anchor.eligibility_changed",
                anchor_id,
                {"before": was, "after": now, "reason": _worded(db, cause), "cause": cause},
            )
    return state


def standing(policy: CreditPolicy, grade_id: str, blacklisted_until: str | None) -> dict:
    """What the credit lets an anchor do: grade, blacklist, restriction ids, may register / go
    live (script requirements named by the restrictions are the gate's to check)."""
    grade = next((g for g in policy.grades if g.id == grade_id), None)
    chosen: list[Restriction] = list(grade.restrictions) if grade else []
    if blacklisted_until:
        chosen += policy.blacklist.restrictions
    unique = list({r.id: r for r in chosen}.values())
    blocked = {action for r in unique for action in r.blocks}
    return {
        "grade": grade_id,
        "blacklisted": blacklisted_until is not None,
        "blacklisted_until": blacklisted_until,
        "restrictions": [r.id for r in unique],
        "may_register": "register" not in blocked,
        "may_go_live": "go_live" not in blocked,
    }


def _worded(db: sqlite_utils.Database, cause: str) -> str:
    vid = violation_of(cause)
    found = db.query("SELECT category, severity FROM violations WHERE id = ?", [vid]) if vid else ()
    return describe(cause, next(iter(found), None))


def _sync_blacklist(
    db, anchor_id, state: CreditState, old_until, until, actor: str, cause: str
) -> None:
    open_entry = next(
        db.query(
            "SELECT * FROM blacklist_entries WHERE anchor_id = ? AND removed_at IS NULL "
            "AND until > ? ORDER BY listed_at DESC LIMIT 1",
            [anchor_id, now_iso()],
        ),
        None,
    )
    if until and open_entry is None:
        db["blacklist_entries"].insert(
            {"anchor_id": anchor_id, "listed_at": now_iso(), "until": until, "reason": cause}
        )
        audit.append(
            db, actor, "blacklist.add", f"anchor:{anchor_id}", {"until": until, "cause": cause}
        )
    elif until and open_entry is not None and open_entry["until"] != until:
        db.execute("UPDATE blacklist_entries SET until = ? WHERE id = ?", [until, open_entry["id"]])
        audit.append(
            db,
            actor,
            "blacklist.extend",
            f"anchor:{anchor_id}",
            {"until": [open_entry["until"], until], "cause": cause},
        )
    elif not until and open_entry is not None:
        db.execute(
            "UPDATE blacklist_entries SET removed_at = ?, removal_reason = ? WHERE id = ?",
            [now_iso(), cause, open_entry["id"]],
        )
        audit.append(db, actor, "blacklist.remove", f"anchor:{anchor_id}", {"cause": cause})


def recompute_all(db: sqlite_utils.Database, policy: CreditPolicy, actor: str = "system") -> int:
    """Every anchor's credit again (after a policy change, or daily so recovery shows)."""
    anchors = [row["id"] for row in db.query("SELECT id FROM anchors ORDER BY id")]
    for anchor_id in anchors:
        refresh_credit(db, anchor_id, policy, actor, RECOMPUTE)
    return len(anchors)

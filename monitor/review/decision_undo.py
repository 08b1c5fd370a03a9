"""Undoing a review decision within a short window (QINGLANG_REVIEW_UNDO_MINUTES), for a slip of
the hand: the flag is open again, the violation its confirmation recorded is removed, and the
anchor's credit is recomputed, so score, grade and blacklist are what they were without it. The
undo, with the whole decision and violation it removes, and every credit change it causes are in
the audit log, in one transaction. Only the reviewer who decided may undo; after the window, or
once the violation is under appeal, the decision stands and an appeal is the route."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from monitor.credit.policy import CreditPolicy
from monitor.credit.service import refresh_credit
from monitor.errors import NotPermitted, StateConflict
from monitor.review.decision_effects import credit_snapshot
from monitor.store import audit
from monitor.store.db import now_iso, parse_time, transaction
from monitor.store.flag_queries import get_flag


def undo_deadline(decided_at: str, window: timedelta) -> datetime:
    """Until when a decision made at `decided_at` may be undone."""
    return parse_time(decided_at) + window


def may_undo(decision: dict | None, actor: str, window: timedelta, now: datetime) -> bool:
    """Whether `actor` may still undo `decision` (a flag's, as `get_flag` gives it)."""
    return (
        decision is not None
        and decision["reviewer"] == actor
        and now <= undo_deadline(decision["decided_at"], window)
    )


def undo_decision(
    db: sqlite_utils.Database,
    flag_id: int,
    *,
    actor: str,
    policy: CreditPolicy,
    window: timedelta,
    now: datetime | None = None,
) -> dict:
    """Undo the decision on `flag_id` made by `actor` less than `window` ago; returns the flag
    id, the decision undone, the violation removed (or None) and the anchor's credit just before
    and after (None without an anchor)."""
    now = now or parse_time(now_iso())
    with transaction(db):
        flag = get_flag(db, flag_id)
        decision = flag["decision"]
        if decision is None:
            raise StateConflict(
                f"标记 {flag_id} 尚未处理，没有可撤销的决定 / flag {flag_id} has no decision to undo"
            )
        if decision["reviewer"] != actor:
            raise NotPermitted(
                f"只有作出决定的审核人（{decision['reviewer']}）可以撤销 / only the reviewer who "
                f"decided ({decision['reviewer']}) may undo flag {flag_id}'s decision"
            )
        if now > undo_deadline(decision["decided_at"], window):
            raise StateConflict(_too_late(flag_id, decision["decision"], window))
        anchor_id = flag["anchor_id"]
        before = credit_snapshot(db, anchor_id, policy) if anchor_id else None
        violation = next(db.query("SELECT * FROM violations WHERE flag_id = ?", [flag_id]), None)
        if violation is not None and db["appeals"].count_where(
            "violation_id = ?", [violation["id"]]
        ):
            raise StateConflict(
                f"违规 {violation['id']} 已有申诉，不能撤销，由申诉裁决 / violation "
                f"{violation['id']} is under appeal: the appeal decides it, not an undo"
            )
        if violation is not None:
            db.execute("DELETE FROM violations WHERE id = ?", [violation["id"]])
        db.execute("DELETE FROM review_decisions WHERE id = ?", [decision["id"]])
        db.execute("UPDATE flags SET status = 'open' WHERE id = ?", [flag_id])
        audit.append(
            db,
            actor,
            "flag.undo",
            f"flag:{flag_id}",
            {"anchor_id": anchor_id, "decision": decision, "violation": violation},
        )
        if violation is not None:
            cause = f"violation {violation['id']} undone (flag {flag_id})"
            refresh_credit(db, violation["anchor_id"], policy, actor, cause)
        after = credit_snapshot(db, anchor_id, policy) if anchor_id else None
    return {
        "flag_id": flag_id,
        "undone": decision,
        "violation_id": violation["id"] if violation else None,
        "anchor_id": anchor_id,
        "credit_before": before,
        "credit_after": after,
    }


def _too_late(flag_id: int, outcome: str, window: timedelta) -> str:
    minutes = f"{window.total_seconds() / 60:g}"
    zh, en = (
        ("如有异议，由主播对该违规提出申诉", "the anchor may appeal the violation instead")
        if outcome == "confirm"
        else ("驳回已生效", "the dismissal stands")
    )
    return (
        f"标记 {flag_id} 的决定已超过 {minutes} 分钟撤销时限，不能撤销；{zh} / the {minutes}-minute "
        f"undo window for flag {flag_id}'s decision has passed: {en}"
    )

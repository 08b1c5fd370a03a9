"""Due process: a regulator's decision on a flag, violations found outside the system, and the
filing of appeals (申诉) and credit-repair applications (信用修复), which `monitor.review.decisions`
decides. Only a recorded decision changes credit; each decision and its credit consequence are
one transaction and both are in the audit log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlite_utils

from monitor.credit.policy import CreditPolicy
from monitor.credit.service import anchor_credit, refresh_credit
from monitor.errors import InputError, StateConflict
from monitor.lexicon.entries import SEVERITIES
from monitor.review.appeal_evidence import checked_links, insert_evidence
from monitor.review.evidence_files import EvidenceLimits, StoredFile
from monitor.review.repair_offer import repair_offer
from monitor.store import audit
from monitor.store.credit_causes import violation_cause
from monitor.store.db import now_iso, parse_time, transaction
from monitor.store.flag_queries import get_flag
from monitor.store.registry import find_anchor
from monitor.store.store_lists import all_violations, get_violation

VIOLATION_ORIGINS = ("complaint", "inspection", "other")


def decide_flag(
    db: sqlite_utils.Database,
    flag_id: int,
    *,
    confirm: bool,
    reviewer: str,
    policy: CreditPolicy,
    categories: Iterable[str],
    category: str | None = None,
    severity: str | None = None,
    note: str = "",
    reason: str = "",
) -> dict:
    """Confirm (a violation follows) or dismiss (a reason is required) an open flag."""
    with transaction(db):
        flag = get_flag(db, flag_id)
        if flag["status"] != "open":
            raise StateConflict(
                f"标记 {flag_id} 已处理（{flag['status']}）/ flag {flag_id} was already {flag['status']}",
                "already_decided",
                {"status": flag["status"]},
            )
        if not confirm and not reason.strip():
            raise InputError("驳回须写明理由 / a dismissal needs a reason (--reason)")
        if confirm and not flag["anchor_id"]:
            raise InputError(
                f"标记 {flag_id} 未关联主播 / flag {flag_id} has no anchor; record the violation with --anchor"
            )
        category = category or flag["category"]
        severity = severity or flag["severity"]
        _known(category, categories, severity)
        decision = {
            "flag_id": flag_id,
            "decision": "confirm" if confirm else "dismiss",
            "category": category if confirm else None,
            "severity": severity if confirm else None,
            "note": note,
            "reason": reason,
            "reviewer": reviewer,
            "decided_at": now_iso(),
        }
        decision_id = db["review_decisions"].insert(decision).last_pk
        db.execute(
            "UPDATE flags SET status = ? WHERE id = ?",
            ["confirmed" if confirm else "dismissed", flag_id],
        )
        audit.append(
            db,
            reviewer,
            f"flag.{decision['decision']}",
            f"flag:{flag_id}",
            {**decision, "anchor_id": flag["anchor_id"], "text": flag["text"]},
        )
        result = {"decision_id": decision_id, **decision, "violation_id": None}
        if confirm:
            result["violation_id"] = _insert_violation(
                db,
                anchor_id=flag["anchor_id"],
                category=category,
                severity=severity,
                occurred_at=flag["created_at"],
                origin="flag",
                evidence=f"{flag['text']} — {flag['context'][:500]}",
                recorded_by=reviewer,
                flag_id=flag_id,
                decision_id=decision_id,
            )
            state = refresh_credit(
                db,
                flag["anchor_id"],
                policy,
                reviewer,
                violation_cause(result["violation_id"], "flag", flag_id),
            )
            result["credit"] = {
                "score": state.score,
                "grade": state.grade,
                "blacklisted": state.blacklisted,
            }
    return result


def record_violation(
    db: sqlite_utils.Database,
    *,
    anchor: str,
    category: str,
    severity: str,
    evidence: str,
    recorded_by: str,
    policy: CreditPolicy,
    categories: Iterable[str],
    at: str | None = None,
    origin: str = "inspection",
) -> int:
    """A regulator's finding outside the flag queue (a complaint, an inspection), with evidence."""
    _known(category, categories, severity)
    if origin not in VIOLATION_ORIGINS:
        raise InputError(
            f"未知来源 / unknown origin {origin!r} (known: {', '.join(VIOLATION_ORIGINS)})"
        )
    if not evidence.strip():
        raise InputError("须提供证据 / evidence is required (--evidence)")
    occurred = now_iso(parse_time(at)) if at else now_iso()
    if occurred > now_iso():
        raise InputError(
            f"违规时间不能在未来 / a violation cannot happen in the future: {occurred}"
        )
    with transaction(db):
        anchor_id = find_anchor(db, anchor)["id"]
        violation_id = _insert_violation(
            db,
            anchor_id=anchor_id,
            category=category,
            severity=severity,
            occurred_at=occurred,
            origin=origin,
            evidence=evidence.strip(),
            recorded_by=recorded_by,
        )
        refresh_credit(db, anchor_id, policy, recorded_by, violation_cause(violation_id, origin))
    return violation_id


def file_appeal(
    db: sqlite_utils.Database,
    violation_id: int,
    reason: str,
    filed_by: str,
    *,
    files: Sequence[StoredFile] = (),
    links: Iterable[str] = (),
    limits: EvidenceLimits | None = None,
) -> int:
    """Appeal a standing violation with a reason and, optionally, evidence: staged files
    (monitor.review.evidence_files) and links; the appeal and its evidence are committed together."""
    if not reason.strip():
        raise InputError("申诉须写明理由 / an appeal needs a reason (--reason)")
    links = checked_links(links, limits or EvidenceLimits())
    with transaction(db):
        violation = _violation(db, violation_id)
        check_appealable(violation)
        named = [{"name": f.file_name, "sha256": f.sha256} for f in files]
        evidence = {"files": named, "links": links} if files or links else None
        appeal_id = _file_pending(
            db, "appeals", {"violation_id": violation_id}, reason, filed_by,
            "appeal.file", f"anchor:{violation['anchor_id']}", "appeal_id", evidence,
        )  # fmt: skip
        insert_evidence(db, appeal_id, files, links)
        return appeal_id


def check_appealable(violation: dict) -> None:
    """Refuse (`StateConflict`, code "already_appealed", with the violation's `status`) a
    violation that is not standing: one appeal at a time, and none after an upheld one."""
    if violation["status"] != "standing":
        raise StateConflict(
            f"违规 {violation['id']} 已有申诉 / violation {violation['id']} already has a pending "
            "or upheld appeal",
            "already_appealed",
            {"status": violation["status"]},
        )


def apply_for_repair(
    db: sqlite_utils.Database,
    anchor: str,
    kind: str,
    reason: str,
    filed_by: str,
    policy: CreditPolicy,
) -> int:
    """信用修复 (kind "repair") or early removal from the blacklist ("early_removal"), refused at
    once when the policy would not apply it now (monitor.review.repair_offer)."""
    if kind not in ("repair", "early_removal"):
        raise InputError("kind 须为 repair 或 early_removal / kind is repair or early_removal")
    if not reason.strip():
        raise InputError(
            "申请须写明整改情况 / an application needs the rectification done (--reason)"
        )
    with transaction(db):
        anchor_id = find_anchor(db, anchor)["id"]
        if db["credit_repairs"].count_where("anchor_id = ? AND status = 'pending'", [anchor_id]):
            raise StateConflict(
                f"主播 {anchor_id} 已有待审申请 / anchor {anchor_id} already has a pending application",
                "already_pending",
            )
        now = parse_time(now_iso())
        state = anchor_credit(db, anchor_id, policy, now)
        offer, why_not = repair_offer(state, policy, all_violations(db, anchor_id), now)
        if offer != kind:
            raise StateConflict(why_not or _other_offer(kind, offer))
        return _file_pending(
            db, "credit_repairs", {"anchor_id": anchor_id, "kind": kind}, reason, filed_by,
            "repair.apply", f"anchor:{anchor_id}", "repair_id",
        )  # fmt: skip


def _file_pending(
    db: sqlite_utils.Database,
    table: str,
    fields: dict,
    reason: str,
    filed_by: str,
    action: str,
    subject: str,
    id_name: str,
    audited: dict | None = None,
) -> int:
    """Insert a pending appeal or application with its reason, and audit the filing with
    `audited` (inside the caller's transaction); returns its id."""
    record = {**fields, "reason": reason.strip(), "filed_at": now_iso(), "filed_by": filed_by,
              "status": "pending"}  # fmt: skip
    record_id = db[table].insert(record).last_pk
    named = {k: v for k, v in fields.items() if k != "anchor_id"}  # the subject names the anchor
    payload = {id_name: record_id, **named, "reason": reason, **(audited or {})}
    audit.append(db, filed_by, action, subject, payload)
    return record_id


def _other_offer(kind: str, offer: str) -> str:
    names = {"repair": "信用修复 credit repair", "early_removal": "提前移出黑名单 early removal"}
    return (
        f"现在不适用{names[kind]}，可申请{names[offer]} / {kind} does not apply now; {offer} does"
    )


def _insert_violation(db, **record) -> int:
    """Store a violation and its audit entry (inside the caller's transaction), whatever it then
    does to the anchor's credit: an anchor already blacklisted gets the entry too."""
    record["recorded_at"] = now_iso()
    violation_id = db["violations"].insert(record).last_pk
    named = ("anchor_id", "category", "severity", "occurred_at", "origin", "flag_id")
    detail = {"violation_id": violation_id, **{k: record.get(k) for k in named}}
    audit.append(
        db, record["recorded_by"], "violation.record", f"anchor:{record['anchor_id']}", detail
    )
    return violation_id


def _violation(db, violation_id: int) -> dict:
    row = get_violation(db, violation_id)
    if row is None:
        raise InputError(f"违规记录不存在 / no violation {violation_id}")
    return row


def _known(category: str, categories: Iterable[str], severity: str) -> None:
    categories = list(categories)
    if category not in categories:
        raise InputError(
            f"未知类别 / unknown category {category!r} (known: {', '.join(categories)})"
        )
    if severity not in SEVERITIES:
        raise InputError(
            f"未知严重程度 / unknown severity {severity!r} (known: {', '.join(SEVERITIES)})"
        )

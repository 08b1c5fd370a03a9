"""Due process: a regulator's decision on a flag, violations found outside the system, appeals
(申诉) and credit repair (信用修复). Only a recorded decision changes credit; each decision and
its credit consequence are one transaction and both are in the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence

import sqlite_utils

from . import audit
from .appeal_evidence import checked_links, insert_evidence
from .credit_causes import decision_cause, violation_cause
from .credit_policy import CreditPolicy
from .credit_service import anchor_credit, refresh_credit
from .db import now_iso, parse_time, transaction
from .errors import InputError, StateConflict
from .evidence_files import EvidenceLimits, StoredFile
from .flag_queries import get_flag
from .lexicon import SEVERITIES
from .registry import find_anchor
from .repair_offer import repair_offer
from .store_lists import all_violations, get_violation
from .utterances import split_utterances

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
    (monitor.evidence_files) and links; the appeal and its evidence are committed together."""
    if not reason.strip():
        raise InputError("申诉须写明理由 / an appeal needs a reason (--reason)")
    links = checked_links(links, limits or EvidenceLimits())
    with transaction(db):
        violation = _violation(db, violation_id)
        check_appealable(get_violation(db, violation_id))
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


def decide_appeal(
    db: sqlite_utils.Database,
    appeal_id: int,
    *,
    uphold: bool,
    reason: str,
    decided_by: str,
    policy: CreditPolicy,
) -> dict:
    status = "upheld" if uphold else "rejected"
    with transaction(db):
        appeal = _decide_pending(
            db, "appeals", appeal_id, status, reason, decided_by, "申诉", "appeal"
        )
        violation = _violation(db, appeal["violation_id"])
        audit.append(
            db,
            decided_by,
            f"appeal.{status}",
            f"anchor:{violation['anchor_id']}",
            {"appeal_id": appeal_id, "violation_id": violation["id"], "reason": reason},
        )
        state = refresh_credit(
            db,
            violation["anchor_id"],
            policy,
            decided_by,
            decision_cause("appeal", appeal_id, status),
        )
    return {"appeal_id": appeal_id, "status": status, "score": state.score, "grade": state.grade}


def apply_for_repair(
    db: sqlite_utils.Database,
    anchor: str,
    kind: str,
    reason: str,
    filed_by: str,
    policy: CreditPolicy,
) -> int:
    """信用修复 (kind "repair") or early removal from the blacklist ("early_removal"), refused at
    once when the policy would not apply it now (monitor.repair_offer)."""
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


def decide_repair(
    db: sqlite_utils.Database,
    repair_id: int,
    *,
    grant: bool,
    reason: str,
    decided_by: str,
    policy: CreditPolicy,
) -> dict:
    status = "granted" if grant else "refused"
    with transaction(db):
        repair = _decide_pending(
            db, "credit_repairs", repair_id, status, reason, decided_by, "申请", "application"
        )
        audit.append(
            db,
            decided_by,
            f"repair.{status}",
            f"anchor:{repair['anchor_id']}",
            {"repair_id": repair_id, "kind": repair["kind"], "reason": reason},
        )
        state = refresh_credit(
            db,
            repair["anchor_id"],
            policy,
            decided_by,
            decision_cause(repair["kind"], repair_id, status),
        )
    return {
        "repair_id": repair_id,
        "status": status,
        "score": state.score,
        "grade": state.grade,
        "blacklisted": state.blacklisted,
    }


def labelled_examples(db: sqlite_utils.Database) -> Iterator[dict]:
    """Reviewed flags as corpus lines for `qinglang train --extra`: the utterance around the hit,
    confirmed → a violation of the decided category, dismissed → a hard negative."""
    rows = db.query(
        "SELECT flags.id, flags.context, flags.start, flags.end, d.decision, d.category FROM flags "
        "JOIN review_decisions d ON d.flag_id = flags.id ORDER BY flags.id"
    )
    for row in rows:
        text = _utterance(row["context"], row["start"], row["end"])
        confirmed = row["decision"] == "confirm"
        yield {
            "id": f"review-{row['id']}",
            "text": text,
            "violation": confirmed,
            "categories": [row["category"]] if confirmed else [],
            "hard_negative": not confirmed,
        }


def _utterance(context: str, start: int, end: int) -> str:
    for left, right in split_utterances(context):
        if left <= start < right:
            return context[left : max(right, min(end, len(context)))].strip()
    return context[max(0, start - 20) : end + 20].strip()


def _decide_pending(
    db, table: str, record_id: int, status: str, reason: str, decided_by: str, zh: str, en: str
) -> dict:
    """Record the decision on a pending appeal or application (inside the caller's transaction)."""
    if not reason.strip():
        raise InputError("裁决须写明理由 / a decision needs a reason (--reason)")
    row = next(db.query(f"SELECT * FROM {table} WHERE id = ?", [record_id]), None)
    if row is None:
        raise InputError(f"{zh}不存在 / no {en} {record_id}")
    if row["status"] != "pending":
        raise StateConflict(
            f"{zh} {record_id} 已裁决（{row['status']}）/ {en} {record_id} was already {row['status']}"
        )
    db.execute(
        f"UPDATE {table} SET status = ?, decided_at = ?, decided_by = ?, decision_reason = ? "
        "WHERE id = ?",
        [status, now_iso(), decided_by, reason.strip(), record_id],
    )
    return row


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
    row = next(db.query("SELECT * FROM violations WHERE id = ?", [violation_id]), None)
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


def dumps(rows: Iterable[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)

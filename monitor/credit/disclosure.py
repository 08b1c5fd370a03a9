"""Public disclosure (公示): anchors' current grades, blacklist entries within the publication
period the policy sets, and products' origin and certification information. What is published
can be recorded (`publish`) with the audit log's head hash, so a later `audit verify --head`
proves the log was not cut short since."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlite_utils

from monitor.checking.detectors.fact_rules import named_certifications
from monitor.credit.policy import CreditPolicy
from monitor.credit.service import stored_credit
from monitor.store import audit
from monitor.store.db import now_iso, parse_time, transaction
from monitor.store.store_lists import with_worded_reason


def public_grades(db: sqlite_utils.Database, policy: CreditPolicy) -> list[dict]:
    grades = {g.id: g for g in policy.grades}
    out = []
    for row in stored_credit(db):
        grade = grades.get(row["grade"] or policy.grades[0].id, policy.grades[0])
        out.append(
            {
                "anchor_id": row["id"],
                "name": row["name"],
                "workshop": row["workshop"],
                "grade": grade.id,
                "grade_name": grade.name,
                "colour": grade.colour,
                "as_of": row["computed_at"],
            }
        )
    return out


def public_blacklist(db: sqlite_utils.Database, policy: CreditPolicy) -> list[dict]:
    """Entries still in force, and ended ones within the publication period after their end."""
    cutoff = now_iso(
        parse_time(now_iso()) - timedelta(days=policy.disclosure.blacklist_after_end_days)
    )
    rows = db.query(
        "SELECT b.anchor_id, a.name, b.listed_at, b.until, b.reason, b.removed_at "
        "FROM blacklist_entries b JOIN anchors a ON a.id = b.anchor_id "
        "WHERE COALESCE(b.removed_at, b.until) >= ? ORDER BY b.listed_at DESC",
        [cutoff],
    )
    now = now_iso()
    return [
        {**row, "in_force": row["removed_at"] is None and row["until"] > now}
        for row in with_worded_reason(db, rows)
    ]


def public_violations(db: sqlite_utils.Database, policy: CreditPolicy) -> list[dict]:
    """Confirmed violations within their publication period (by severity, per the policy), not
    those an upheld appeal overturned. Evidence is not published, only what and when."""
    now = parse_time(now_iso())
    rows = db.query(
        "SELECT v.id, v.anchor_id, a.name, v.category, v.severity, v.occurred_at FROM violations v "
        "JOIN anchors a ON a.id = v.anchor_id WHERE NOT EXISTS (SELECT 1 FROM appeals p "
        "WHERE p.violation_id = v.id AND p.status = 'upheld') ORDER BY v.occurred_at DESC"
    )
    published = []
    for row in rows:
        until = parse_time(row["occurred_at"]) + timedelta(
            days=policy.disclosure.violation_days[row["severity"]]
        )
        if until >= now:
            published.append({**row, "published_until": now_iso(until)})
    return published


def public_products(db: sqlite_utils.Database) -> list[dict]:
    """Products with origin, producer and certifications (each with its Chinese `type_name`)."""
    rows = db.query(
        "SELECT p.id, p.name, p.origin, p.producer, p.certifications, p.registration_numbers, "
        "w.name AS workshop FROM products p LEFT JOIN workshops w ON w.id = p.workshop_id ORDER BY p.id"
    )
    return [
        {
            **row,
            "certifications": named_certifications(json.loads(row["certifications"])),
            "registration_numbers": json.loads(row["registration_numbers"]),
        }
        for row in rows
    ]


def disclosure(db: sqlite_utils.Database, policy: CreditPolicy) -> dict:
    return {
        "generated_at": now_iso(),
        "anchors": public_grades(db, policy) if policy.disclosure.grade_public else [],
        "blacklist": public_blacklist(db, policy),
        "violations": public_violations(db, policy),
        "products": public_products(db),
    }


def publish(db: sqlite_utils.Database, policy: CreditPolicy, actor: str) -> dict:
    """Record what is being published now, and the audit head it was published with."""
    content = disclosure(db, policy)
    with transaction(db):
        head = audit.verify(db).head
        content["audit_head"] = head
        disclosure_id = (
            db["disclosures"]
            .insert(
                {
                    "kind": "anchor_grade",
                    "subject_id": "*",
                    "content": json.dumps(content, ensure_ascii=False),
                    "published_at": content["generated_at"],
                    "until": None,
                }
            )
            .last_pk
        )
        audit.append(
            db,
            actor,
            "disclosure.publish",
            "disclosure",
            {
                "disclosure_id": disclosure_id,
                "anchors": len(content["anchors"]),
                "blacklist": len(content["blacklist"]),
                "audit_head": head,
            },
        )
    return content

"""Script pre-review (广告审核): an anchor submits the script of a coming stream; it is checked at
once; where the anchor's grade requires approval (or the platform asks for it) a regulator
approves it or returns it with comments on the hits (`monitor.review.decisions`). The approved text is
what a stream's flags are compared with (a claim that was not in the approved script is worth
the reviewer's notice)."""

from __future__ import annotations

import json

import sqlite_utils

from monitor.checking.checker import Checker
from monitor.checking.detectors.fact_rules import ProductFacts
from monitor.credit.eligibility import SCRIPT_APPROVAL
from monitor.credit.policy import CreditPolicy
from monitor.credit.service import anchor_credit
from monitor.errors import InputError
from monitor.store import audit
from monitor.store.db import now_iso, transaction
from monitor.store.registry import find_anchor, get_product


def submit_script(
    db: sqlite_utils.Database,
    checker: Checker,
    policy: CreditPolicy,
    *,
    anchor: str,
    text: str,
    submitted_by: str,
    product_id: str | None = None,
    for_stream_at: str | None = None,
    require_approval: bool = False,
    product_class: str | None = None,
) -> dict:
    if not text.strip():
        raise InputError("话术为空 / the script is empty")
    anchor_id = find_anchor(db, anchor)["id"]
    product = get_product(db, product_id) if product_id else None
    facts = ProductFacts.from_record(product) if product else None
    product_class = product["product_class"] if product else product_class
    report = checker.check(text, facts=facts, product_class=product_class)
    needs_approval = (
        require_approval or SCRIPT_APPROVAL in anchor_credit(db, anchor_id, policy).restrictions
    )
    record = {
        "anchor_id": anchor_id,
        "product_id": product_id,
        "text": text,
        "report": json.dumps(report.to_dict(), ensure_ascii=False),
        "submitted_at": now_iso(),
        "for_stream_at": for_stream_at,
        "status": "pending" if needs_approval else "checked",
    }
    with transaction(db):
        script_id = db["scripts"].insert(record).last_pk
        audit.append(
            db,
            submitted_by,
            "script.submit",
            f"anchor:{anchor_id}",
            {
                "script_id": script_id,
                "status": record["status"],
                "verdict": report.verdict,
                "hits": len(report.hits),
            },
        )
    return {"script_id": script_id, "status": record["status"], "report": report.to_dict()}

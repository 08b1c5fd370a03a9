"""What a decision did to an anchor's credit: the score and grade just before and just after it,
taken in the decision's own transaction, so a reviewer sees the consequence of a click."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlite_utils

from monitor.credit.policy import CreditPolicy
from monitor.credit.service import anchor_credit
from monitor.store.db import transaction

T = TypeVar("T")


def credit_snapshot(db: sqlite_utils.Database, anchor_id: str, policy: CreditPolicy) -> dict:
    state = anchor_credit(db, anchor_id, policy)
    return {"score": state.score, "grade": state.grade, "blacklisted": state.blacklisted}


def with_credit_change(
    db: sqlite_utils.Database,
    anchor_id: str | None,
    policy: CreditPolicy,
    decide: Callable[[], T],
) -> tuple[T, dict | None, dict | None]:
    """Run `decide` (a library decision) and return its result with the anchor's credit before
    and after; (result, None, None) when there is no anchor."""
    if anchor_id is None:
        return decide(), None, None
    with transaction(db):
        before = credit_snapshot(db, anchor_id, policy)
        result = decide()
        after = credit_snapshot(db, anchor_id, policy)
    return result, before, after

"""A store with something to appeal, for tests: workshop W1, anchor A1 and one violation of A1
(a medium quality/origin claim) recorded through the library."""

from __future__ import annotations

import sqlite_utils

from monitor.credit.policy import load_policy
from monitor.review.flags import record_violation
from monitor.store.registry import add_anchor, add_workshop


def anchor_with_violation(db: sqlite_utils.Database, anchor_name: str = "王阿姨") -> int:
    """Add W1 and its anchor A1 to `db`; returns the id of A1's violation."""
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", anchor_name, "W1")
    return record_violation(
        db, anchor="A1", category="quality_origin_claims", severity="medium",
        evidence="巡查：宣称有机认证", recorded_by="test", policy=load_policy(),
        categories=["quality_origin_claims"],
    )  # fmt: skip

"""One decision operation for the pending records of due process: an appeal against a violation
(uphold | reject), a credit-repair or early-removal application (grant | refuse) and a script
waiting for approval (approve | return). Every skin (CLI, API, UI) builds a `Decision` and calls
`decide` once; it checks the outcome, the reason and the record's state, stores the decision,
writes its one audit entry, applies its credit consequence and answers the anchor's credit
before and after, all in one transaction. It must not know about HTTP, pages or exit codes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlite_utils

from monitor.credit.policy import CreditPolicy
from monitor.credit.service import refresh_credit
from monitor.errors import InputError, MissingRecord, NotPending
from monitor.review.decision_effects import credit_snapshot
from monitor.store import audit
from monitor.store.credit_causes import decision_cause
from monitor.store.db import now_iso, transaction
from monitor.store.store_lists import get_violation

DecisionKind = Literal["appeal", "repair", "script"]


@dataclass(frozen=True)
class Decision:
    """A regulator's decision on one pending record; `outcome` is one of the kind's outcomes
    (`OUTCOMES`), `reason` the grounds (comments on a script), `actor` who decides."""

    kind: DecisionKind
    id: int
    outcome: str
    reason: str
    actor: str


@dataclass(frozen=True)
class Decided:
    """What a decision did: the record's new status and the anchor's credit around it."""

    decision: Decision
    status: str
    anchor_id: str
    credit_before: dict[str, Any]
    credit_after: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            f"{self.decision.kind}_id": self.decision.id,
            "status": self.status,
            "anchor_id": self.anchor_id,
            "credit_before": self.credit_before,
            "credit_after": self.credit_after,
        }


# What the kind's decision does besides its status: (anchor, audit detail, credit cause or None).
Effect = Callable[[sqlite_utils.Database, dict, Decision, str], tuple[str, dict, str | None]]


@dataclass(frozen=True)
class _Kind:
    table: str
    zh: str  # the record's name in messages
    en: str
    outcomes: Mapping[str, str]  # outcome -> the status it leaves
    needs_reason: frozenset[str]  # outcomes refused without a reason
    no_reason: str  # the message when one is missing
    decided_by: tuple[str, str]  # columns for who decided and why
    effect: Effect
    not_pending: str = "{zh} {id} 已裁决（{status}）/ {en} {id} was already {status}"


def _appeal(db, row: dict, decision: Decision, status: str) -> tuple[str, dict, str | None]:
    violation = get_violation(db, row["violation_id"])
    detail = {"appeal_id": decision.id, "violation_id": violation["id"], "reason": decision.reason}
    return violation["anchor_id"], detail, decision_cause("appeal", decision.id, status)


def _repair(db, row: dict, decision: Decision, status: str) -> tuple[str, dict, str | None]:
    detail = {"repair_id": decision.id, "kind": row["kind"], "reason": decision.reason}
    return row["anchor_id"], detail, decision_cause(row["kind"], decision.id, status)


def _script(db, row: dict, decision: Decision, status: str) -> tuple[str, dict, str | None]:
    return row["anchor_id"], {"script_id": decision.id, "comments": decision.reason}, None


_NO_REASON = "裁决须写明理由 / a decision needs a reason (--reason)"
KINDS: dict[str, _Kind] = {
    "appeal": _Kind(
        "appeals", "申诉", "appeal", {"uphold": "upheld", "reject": "rejected"},
        frozenset({"uphold", "reject"}), _NO_REASON, ("decided_by", "decision_reason"), _appeal,
    ),
    "repair": _Kind(
        "credit_repairs", "申请", "application", {"grant": "granted", "refuse": "refused"},
        frozenset({"grant", "refuse"}), _NO_REASON, ("decided_by", "decision_reason"), _repair,
    ),
    "script": _Kind(
        "scripts", "话术", "script", {"approve": "approved", "return": "returned"},
        frozenset({"return"}), "退回须写明意见 / returning a script needs comments (--comments)",
        ("reviewer", "comments"), _script,
        "{zh} {id} 不在待审状态（{status}）/ {en} {id} is {status}, not pending",
    ),
}  # fmt: skip
OUTCOMES = {name: tuple(kind.outcomes) for name, kind in KINDS.items()}


def decide(db: sqlite_utils.Database, decision: Decision, policy: CreditPolicy) -> Decided:
    """Decide a pending appeal, application or script. Raises InputError for an unknown kind or
    an outcome the kind has not, or a missing reason; MissingRecord for an unknown id;
    NotPending when the record is not (or no longer) pending."""
    kind = KINDS.get(decision.kind)
    if kind is None:
        raise InputError(f"未知事项 / unknown kind {decision.kind!r} (known: {', '.join(KINDS)})")
    status = kind.outcomes.get(decision.outcome)
    if status is None:
        raise InputError(f"请选择裁决 / choose a decision: {', '.join(kind.outcomes)}")
    if decision.outcome in kind.needs_reason and not decision.reason.strip():
        raise InputError(kind.no_reason)
    with transaction(db):
        row = next(db.query(f"SELECT * FROM {kind.table} WHERE id = ?", [decision.id]), None)
        if row is None:
            raise MissingRecord(f"{kind.zh}不存在 / no {kind.en} {decision.id}")
        if row["status"] != "pending":
            message = kind.not_pending.format(
                zh=kind.zh, en=kind.en, id=decision.id, status=row["status"]
            )
            raise NotPending(message, row["status"])
        anchor_id, detail, cause = kind.effect(db, row, decision, status)
        before = credit_snapshot(db, anchor_id, policy)
        who, why = kind.decided_by
        db.execute(
            f"UPDATE {kind.table} SET status = ?, decided_at = ?, {who} = ?, {why} = ? WHERE id = ?",
            [status, now_iso(), decision.actor, decision.reason.strip(), decision.id],
        )
        audit.append(db, decision.actor, f"{decision.kind}.{status}", f"anchor:{anchor_id}", detail)
        if cause is not None:
            refresh_credit(db, anchor_id, policy, decision.actor, cause)
        after = credit_snapshot(db, anchor_id, policy)
    return Decided(decision, status, anchor_id, before, after)

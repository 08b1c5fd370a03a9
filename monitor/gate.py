"""The answer platforms call before a stream: may this anchor register, may they go live now, and
if not, why and until when. Read from the anchor's credit under the policy and, for grades that
require it, from the script pre-review (广告审核) record."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlite_utils

from .credit_policy import CreditPolicy
from .credit_service import anchor_credit
from .db import now_iso, parse_time
from .registry import find_anchor

# Restriction ids the gate acts on besides `blocks` (monitor/policies/credit.yaml names them).
SCRIPT_APPROVAL = "script_preapproval"  # a script approved by a regulator is needed
SCRIPT_CHECK = "script_precheck"  # a script checked by qinglang (no blocking hit) is needed


@dataclass(frozen=True)
class Eligibility:
    anchor_id: str
    may_register: bool
    may_go_live: bool
    reason: str
    until: str | None
    grade: str
    restrictions: tuple[str, ...]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["restrictions"] = list(self.restrictions)
        return data


def eligibility(
    db: sqlite_utils.Database, reference: str, policy: CreditPolicy, at: datetime | None = None
) -> Eligibility:
    anchor = find_anchor(db, reference)
    at = at or parse_time(now_iso())
    state = anchor_credit(db, anchor["id"], policy, at)
    base = {"anchor_id": anchor["id"], "grade": state.grade, "restrictions": state.restrictions}
    if state.blacklisted:
        until = now_iso(state.blacklisted_until) if state.blacklisted_until else None
        return Eligibility(
            **base,
            may_register=False,
            may_go_live=False,
            reason=f"列入黑名单，期间不得注册或直播 / blacklisted: may not register or go live until {until}",
            until=until,
        )
    if not state.may_go_live:
        return Eligibility(
            **base,
            may_register=True,
            may_go_live=False,
            reason=(
                f"信用等级{state.grade_name}：暂停直播，整改后申请信用修复 / grade {state.grade}: "
                "suspended from going live until rectified (apply for credit repair)"
            ),
            until=None,
        )
    valid_days = policy.script_valid_days
    since = now_iso(at - timedelta(days=valid_days))
    if SCRIPT_APPROVAL in state.restrictions and not _script(
        db, anchor["id"], ("approved",), since
    ):
        return Eligibility(
            **base,
            may_register=True,
            may_go_live=False,
            reason=(
                f"信用等级{state.grade_name}：开播前话术须经审核通过 / grade {state.grade}: a script "
                f"approved by a regulator within {valid_days} days is required"
            ),
            until=None,
        )
    if SCRIPT_CHECK in state.restrictions and not _script(
        db, anchor["id"], ("checked", "approved"), since
    ):
        return Eligibility(
            **base,
            may_register=True,
            may_go_live=False,
            reason=(
                f"信用等级{state.grade_name}：开播前须提交话术自查且无拦截项 / grade {state.grade}: "
                f"a script checked without blocking problems within {valid_days} days "
                "is required"
            ),
            until=None,
        )
    return Eligibility(**base, may_register=True, may_go_live=True, reason="", until=None)


def _script(
    db: sqlite_utils.Database, anchor_id: str, statuses: tuple[str, ...], since: str
) -> bool:
    marks = ", ".join("?" * len(statuses))
    return bool(
        db.execute(
            f"SELECT 1 FROM scripts WHERE anchor_id = ? AND status IN ({marks}) AND submitted_at >= ? "
            "AND (status = 'approved' OR json_extract(report, '$.verdict') != 'block') LIMIT 1",
            [anchor_id, *statuses, since],
        ).fetchone()
    )

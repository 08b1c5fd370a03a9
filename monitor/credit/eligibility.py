"""The answer platforms call before a stream: may this anchor register, may they go live now, and
if not, why and until when. Read from the anchor's credit under the policy and, for grades that
require it, from the script pre-review (广告审核) record. An account qinglang has no record of is
answered too (`known` false): it has the credit every anchor starts with, and the policy says
whether it may go live before it is registered."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

import sqlite_utils

from monitor.credit.policy import CreditPolicy
from monitor.credit.rules import CreditState, credit_at
from monitor.credit.service import anchor_credit
from monitor.errors import InputError
from monitor.store.db import now_iso, parse_time
from monitor.store.registry import lookup_anchor

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
    known: bool = True  # False: no anchor in the registry has this id or account

    def to_dict(self) -> dict:
        data = asdict(self)
        data["restrictions"] = list(self.restrictions)
        return data


def eligibility(
    db: sqlite_utils.Database, reference: str, policy: CreditPolicy, at: datetime | None = None
) -> Eligibility:
    """The gate's answer for an anchor id or PLATFORM:ACCOUNT, registered or not (a blank
    reference or a malformed account is an InputError)."""
    if not reference.strip():
        raise InputError("主播编号或平台账号为空 / no anchor id or PLATFORM:ACCOUNT given")
    at = at or parse_time(now_iso())
    anchor = lookup_anchor(db, reference)
    if anchor is None:
        return _unregistered(db, reference, policy, at)
    return _answer(db, anchor["id"], anchor_credit(db, anchor["id"], policy, at), policy, at)


def _unregistered(
    db: sqlite_utils.Database, reference: str, policy: CreditPolicy, at: datetime
) -> Eligibility:
    """No record: the answer for the credit every anchor starts with, then the policy's word on
    going live unregistered."""
    state = credit_at(policy, reference, (), (), at)
    answer = replace(_answer(db, reference, state, policy, at), known=False)
    if not answer.may_go_live:
        return answer
    if not policy.unregistered_may_go_live:
        return replace(
            answer,
            may_go_live=False,
            reason=(
                "未在清朗登记：可注册，须由监管部门登记后方可开播 / not registered with qinglang: "
                "may register, and may go live once the regulator has registered the account"
            ),
        )
    return replace(
        answer,
        reason=(
            "未在清朗登记：无违规记录、未列入黑名单，可注册、可开播；请提请监管部门登记以便跟踪信用 / "
            "not registered with qinglang: no violation or blacklist entry, so it may register "
            "and go live; ask the regulator to register the account so its credit is tracked"
        ),
    )


def _answer(
    db: sqlite_utils.Database,
    anchor_id: str,
    state: CreditState,
    policy: CreditPolicy,
    at: datetime,
) -> Eligibility:
    base = {"anchor_id": anchor_id, "grade": state.grade, "restrictions": state.restrictions}
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
    if SCRIPT_APPROVAL in state.restrictions and not _script(db, anchor_id, ("approved",), since):
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
        db, anchor_id, ("checked", "approved"), since
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

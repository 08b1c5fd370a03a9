"""What an anchor may apply for now under the credit policy: credit repair (信用修复) of old
deductions, or early removal from the blacklist (提前移出). The application is refused at once
when the policy would not apply it; a regulator still decides the ones that may apply."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.credit.policy import CreditPolicy
from monitor.credit.records import CreditState
from monitor.store.db import parse_time


def repair_offer(
    state: CreditState, policy: CreditPolicy, violations: list[dict], now: datetime
) -> tuple[str | None, str]:
    """What an anchor may apply for now under the policy: ("early_removal" | "repair" | None,
    why not, in Chinese and English). The regulator still decides; the library applies the rules."""
    if state.blacklisted:
        rules = policy.blacklist
        if state.blacklisted_until is None:
            return "early_removal", ""
        trigger = state.blacklisted_until - timedelta(days=rules.duration_days)
        allowed = trigger + timedelta(days=rules.early_removal_after_days)
        if now >= allowed:
            return "early_removal", ""
        return None, (
            f"列入黑名单未满 {rules.early_removal_after_days} 天，{allowed.date().isoformat()} 起可申请"
            f"提前移出；列入期间不适用信用修复 / early removal from {allowed.date().isoformat()} "
            "on; no credit repair while blacklisted"
        )
    oldest = now - timedelta(days=policy.repair.min_age_days)
    expired = now - timedelta(days=policy.expiry_days)
    old_enough = [
        v
        for v in violations
        if v["status"] != "overturned" and expired < parse_time(v["occurred_at"]) <= oldest
    ]
    if state.score < policy.start_score and old_enough:
        return "repair", ""
    return None, (
        f"暂无可修复的扣分：信用修复只适用于满 {policy.repair.min_age_days} 天、仍在扣分的违规 / "
        f"nothing to repair: repair applies to violations at least {policy.repair.min_age_days} "
        "days old that still deduct"
    )

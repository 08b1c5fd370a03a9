"""The credit policy in the units the credit ledger counts in: times as whole microseconds since
1970-01-01Z and points as whole millionths of a point, so that sums are exact. Conversions only;
the rules that use them are in monitor.credit.ledger and monitor.credit.inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from monitor.credit.policy import CreditPolicy
from monitor.errors import InputError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
DAY = 86_400_000_000  # microseconds
UNIT = 1_000_000  # a point, in the internal unit (a millionth of a point)


def micros_of(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(f"时间须带时区 / time {moment.isoformat()} has no timezone (use UTC)")
    return (moment - _EPOCH) // _MICROSECOND


def moment_of(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def points_text(units: int) -> str:
    return f"{round(units / UNIT, 2):g}"


@dataclass(frozen=True)
class Rules:
    """The policy in the ledger's units: microseconds and millionths of a point."""

    start: int
    base: dict[tuple[str, str], float]
    factors: tuple[float, ...]  # repeat factor by number of earlier same-category violations
    repeat_window: int
    clean: int
    period: int
    recovery_points: int
    expiry: int
    high_count: int
    high_window: int
    score_below: float
    blacklist_for: int
    early_removal_after: int
    repair_fraction: Fraction
    repair_age: int

    @classmethod
    def of(cls, policy: CreditPolicy) -> Rules:
        repeat = policy.repeat
        factors = [1.0]
        while factors[-1] < repeat.cap and repeat.factor > 1:
            factors.append(min(repeat.cap, factors[-1] * repeat.factor))
        blacklist = policy.blacklist
        return cls(
            start=round(policy.start_score * UNIT),
            base={
                (category, severity): policy.base_deduction(category, severity)
                for category in policy.category_multipliers
                for severity in policy.deductions
            },
            factors=tuple(factors),
            repeat_window=repeat.window_days * DAY,
            clean=policy.recovery.clean_days * DAY,
            period=policy.recovery.period_days * DAY,
            recovery_points=round(policy.recovery.points * UNIT),
            expiry=policy.expiry_days * DAY,
            high_count=blacklist.high_severity_count,
            high_window=blacklist.high_severity_window_days * DAY,
            score_below=blacklist.score_below,
            blacklist_for=blacklist.duration_days * DAY,
            early_removal_after=blacklist.early_removal_after_days * DAY,
            repair_fraction=Fraction(str(policy.repair.fraction)),
            repair_age=policy.repair.min_age_days * DAY,
        )


_RULES: dict[int, tuple[CreditPolicy, Rules]] = {}


def rules_of(policy: CreditPolicy) -> Rules:
    cached = _RULES.get(id(policy))
    if cached is None or cached[0] is not policy:
        if len(_RULES) > 64:
            _RULES.clear()
        cached = _RULES[id(policy)] = (policy, Rules.of(policy))
    return cached[1]

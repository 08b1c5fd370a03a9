"""The credit policy file (monitor/policies/credit.yaml) as pydantic models, key for key: types,
ranges, grades ordered best first down to 0, deductions growing with severity. Errors name the
file, the entry and the field (data_schema.validate). Turning the file into the policy's values
is credit/policy.py."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from monitor.data_schema import DataModel, Text

BLOCKABLE_ACTIONS = ("register", "go_live")
Days = Annotated[StrictInt, Field(ge=0)]
PositiveDays = Annotated[StrictInt, Field(gt=0)]
Points = Annotated[StrictFloat, Field(ge=0)]
POLICY_NOUNS = {"deductions": ("严重程度", "severity")}


class RestrictionEntry(DataModel):
    id: Text
    zh: Text
    en: Text
    blocks: tuple[Literal[BLOCKABLE_ACTIONS], ...] = ()


class _Grade(DataModel):
    id: Text
    min_score: Points
    zh: Text
    en: Text
    colour: Text
    restrictions: tuple[RestrictionEntry, ...] = ()


class _Deductions(DataModel):
    low: Points
    medium: Points
    high: Points

    @model_validator(mode="after")
    def _grows_with_severity(self) -> _Deductions:
        if not self.low <= self.medium <= self.high:
            raise ValueError(
                "扣分不得随严重程度降低 / deductions must not decrease with severity "
                "(low ≤ medium ≤ high)"
            )
        return self


class _Repeat(DataModel):
    window_days: Days
    factor: Annotated[StrictFloat, Field(ge=1)]
    cap: Annotated[StrictFloat, Field(ge=1)]


class _Recovery(DataModel):
    clean_days: Days
    period_days: PositiveDays
    points: Points


class _Expiry(DataModel):
    after_days: PositiveDays


class _HighSeverity(DataModel):
    count: Days
    window_days: Days


class _Triggers(DataModel):
    high_severity: _HighSeverity
    score_below: Points


class _Blacklist(DataModel):
    triggers: _Triggers
    duration_days: PositiveDays
    early_removal_after_days: Days
    restrictions: tuple[RestrictionEntry, ...] | None


class _Repair(DataModel):
    fraction: Annotated[StrictFloat, Field(ge=0, le=1)]
    min_age_days: Days


class _ViolationDays(DataModel):
    low: Days
    medium: Days
    high: Days


class _Disclosure(DataModel):
    grade_public: StrictBool
    blacklist_after_end_days: Days
    violation_days: _ViolationDays
    record_retention_days: Days
    withdraw_within_working_days: Days


class _Scripts(DataModel):
    valid_days: PositiveDays


class _Unregistered(DataModel):
    may_go_live: StrictBool


class CreditPolicyFile(DataModel):
    """The credit policy file (monitor/policies/credit.yaml) key for key."""

    version: Text
    start_score: Annotated[StrictFloat, Field(gt=0)]
    deductions: _Deductions
    category_multipliers: dict[str, Annotated[StrictFloat, Field(gt=0)]]
    repeat: _Repeat
    recovery: _Recovery
    expiry: _Expiry
    grades: Annotated[tuple[_Grade, ...], Field(min_length=1)]
    blacklist: _Blacklist
    repair: _Repair
    disclosure: _Disclosure
    scripts: _Scripts
    unregistered: _Unregistered

    @field_validator("grades")
    @classmethod
    def _ordered_down_to_zero(cls, grades: tuple[_Grade, ...]) -> tuple[_Grade, ...]:
        problems = []
        if len({g.id for g in grades}) != len(grades):
            problems.append("等级 id 须唯一 / ids must be unique")
        if any(a.min_score <= b.min_score for a, b in pairwise(grades)):
            problems.append(
                "等级须由高到低、min_score 严格递减 / grades must be ordered best first, "
                "by strictly decreasing min_score"
            )
        if grades[-1].min_score != 0:
            problems.append(
                "最后一级的 min_score 须为 0 / the last grade must have min_score 0, "
                "so every score has a grade"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return grades

    @model_validator(mode="after")
    def _consistent(self) -> CreditPolicyFile:
        if self.repeat.cap < self.repeat.factor:
            raise ValueError(
                "repeat.cap 须不小于 repeat.factor / repeat.cap must be at least repeat.factor"
            )
        if self.grades[0].min_score > self.start_score:
            raise ValueError(
                "最高等级的 min_score 高于 start_score / grades: the best grade's min_score is "
                "above start_score"
            )
        return self

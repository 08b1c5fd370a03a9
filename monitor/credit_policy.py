"""The credit policy: every number of the anchor credit rules, read from a YAML data file,
validated by pydantic models (the file key for key) into frozen dataclasses.

This module reads and checks the policy file; it does not compute credit (see credit.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from .data_files import data_dir
from .data_schema import DataModel, Text, validate
from .errors import InputError, LexiconError
from .lexicon import read_yaml

BLOCKABLE_ACTIONS = ("register", "go_live")


class PolicyError(InputError):
    """A credit policy file is unreadable or breaks the schema; `problems` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("信用政策无效 / invalid credit policy: " + "; ".join(problems))


@dataclass(frozen=True)
class Restriction:
    """What an anchor in a grade (or on the blacklist) may not do, and what must happen instead."""

    id: str
    zh: str
    en: str
    blocks: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.zh} / {self.en}"


@dataclass(frozen=True)
class Grade:
    id: str
    min_score: float
    zh: str
    en: str
    colour: str
    restrictions: tuple[Restriction, ...]

    @property
    def name(self) -> str:
        return f"{self.zh} / {self.en}"


@dataclass(frozen=True)
class RepeatRule:
    """A same-category violation within `window_days` of earlier ones deducts × factor**priors."""

    window_days: int
    factor: float
    cap: float


@dataclass(frozen=True)
class RecoveryRule:
    """`points` back on every `period_days` calendar date after `clean_days` without a violation."""

    clean_days: int
    period_days: int
    points: float


@dataclass(frozen=True)
class BlacklistRule:
    high_severity_count: int
    high_severity_window_days: int
    score_below: float
    duration_days: int
    early_removal_after_days: int
    restrictions: tuple[Restriction, ...]


@dataclass(frozen=True)
class RepairRule:
    """A granted repair restores `fraction` of what violations older than `min_age_days` still take."""

    fraction: float
    min_age_days: int


@dataclass(frozen=True)
class DisclosureRule:
    grade_public: bool
    blacklist_after_end_days: int
    violation_days: Mapping[str, int]
    record_retention_days: int
    withdraw_within_working_days: int


@dataclass(frozen=True)
class CreditPolicy:
    """The validated credit policy. Units: points, and days for every `*_days`."""

    version: str
    start_score: float
    deductions: Mapping[str, float]
    category_multipliers: Mapping[str, float]
    repeat: RepeatRule
    recovery: RecoveryRule
    expiry_days: int
    grades: tuple[Grade, ...]
    blacklist: BlacklistRule
    repair: RepairRule
    disclosure: DisclosureRule
    script_valid_days: int  # how long a checked or approved script satisfies a grade's restriction
    unregistered_may_go_live: bool  # may an account qinglang has no record of go live

    def base_deduction(self, category: str, severity: str) -> float:
        """Points one violation deducts before repeat aggravation."""
        return self.deductions[severity] * self.category_multipliers[category]

    def grade_for(self, score: float) -> Grade:
        """The best grade whose minimum `score` reaches (the last grade starts at 0)."""
        for grade in self.grades:
            if score >= grade.min_score:
                return grade
        return self.grades[-1]


def default_policy_path() -> Path:
    return Path(str(files("monitor") / "policies" / "credit.yaml"))


def load_policy(path: str | Path | None = None) -> CreditPolicy:
    """The policy in `path` (default: the shipped policy), or PolicyError listing every problem."""
    path = Path(path) if path is not None else default_policy_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PolicyError([f"{path}: 无法读取 / cannot read ({exc})"]) from None
    return parse_policy(raw, known_categories(), where=str(path))


def known_categories() -> tuple[str, ...]:
    """The category ids of the shipped lexicon (lexicons/categories.yaml)."""
    try:
        data = read_yaml(data_dir("lexicons") / "categories.yaml")
    except LexiconError as exc:
        raise PolicyError(exc.problems) from None
    return tuple(data.get("categories") or {})


def parse_policy(raw: Any, categories: tuple[str, ...], where: str = "policy") -> CreditPolicy:
    """Validate a parsed policy mapping against the category ids; raise PolicyError if it is wrong."""
    if not isinstance(raw, dict):
        raise PolicyError([f"{where}: 顶层须为映射 / top level must be a mapping"])
    policy, problems = validate(_PolicyFile, raw, where, nouns=_NOUNS)
    given = raw.get("category_multipliers")
    if isinstance(given, dict):
        problems += [
            f"{where}: category_multipliers: 未知类别 '{c}' / unknown category '{c}'"
            for c in given
            if c not in categories
        ]
        problems += [
            f"{where}: category_multipliers: 缺少类别 '{c}' / missing category '{c}'"
            for c in categories
            if c not in given
        ]
    if problems or policy is None:
        raise PolicyError(problems)
    return policy.to_policy()


Days = Annotated[StrictInt, Field(ge=0)]
PositiveDays = Annotated[StrictInt, Field(gt=0)]
Points = Annotated[StrictFloat, Field(ge=0)]
_NOUNS = {"deductions": ("严重程度", "severity")}


class _Restriction(DataModel):
    id: Text
    zh: Text
    en: Text
    blocks: tuple[Literal[BLOCKABLE_ACTIONS], ...] = ()

    def to_restriction(self) -> Restriction:
        return Restriction(self.id, self.zh, self.en, self.blocks)


class _Grade(DataModel):
    id: Text
    min_score: Points
    zh: Text
    en: Text
    colour: Text
    restrictions: tuple[_Restriction, ...] = ()


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
    restrictions: tuple[_Restriction, ...] | None


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


class _PolicyFile(DataModel):
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
    def _consistent(self) -> _PolicyFile:
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

    def to_policy(self) -> CreditPolicy:
        triggers = self.blacklist.triggers
        disclosure = self.disclosure
        return CreditPolicy(
            version=self.version,
            start_score=self.start_score,
            deductions=MappingProxyType(self.deductions.model_dump()),
            category_multipliers=MappingProxyType(dict(self.category_multipliers)),
            repeat=RepeatRule(**self.repeat.model_dump()),
            recovery=RecoveryRule(**self.recovery.model_dump()),
            expiry_days=self.expiry.after_days,
            grades=tuple(
                Grade(
                    g.id,
                    g.min_score,
                    g.zh,
                    g.en,
                    g.colour,
                    tuple(r.to_restriction() for r in g.restrictions),
                )
                for g in self.grades
            ),
            blacklist=BlacklistRule(
                high_severity_count=triggers.high_severity.count,
                high_severity_window_days=triggers.high_severity.window_days,
                score_below=triggers.score_below,
                duration_days=self.blacklist.duration_days,
                early_removal_after_days=self.blacklist.early_removal_after_days,
                restrictions=tuple(r.to_restriction() for r in self.blacklist.restrictions or ()),
            ),
            repair=RepairRule(**self.repair.model_dump()),
            disclosure=DisclosureRule(
                grade_public=disclosure.grade_public,
                blacklist_after_end_days=disclosure.blacklist_after_end_days,
                violation_days=MappingProxyType(disclosure.violation_days.model_dump()),
                record_retention_days=disclosure.record_retention_days,
                withdraw_within_working_days=disclosure.withdraw_within_working_days,
            ),
            script_valid_days=self.scripts.valid_days,
            unregistered_may_go_live=self.unregistered.may_go_live,
        )

"""The credit policy: every number of the anchor credit rules, read from a YAML data file,
validated by pydantic models (credit/policy_schema.py, the file key for key) into frozen
dataclasses.

This module reads and checks the policy file; it does not compute credit (see credit.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from monitor.credit.policy_schema import POLICY_NOUNS, CreditPolicyFile, RestrictionEntry
from monitor.data_files import data_dir
from monitor.data_schema import validate
from monitor.errors import InputError, LexiconError
from monitor.yaml_files import read_yaml


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
    policy, problems = validate(CreditPolicyFile, raw, where, nouns=POLICY_NOUNS)
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
    return _to_policy(policy)


def _to_policy(file: CreditPolicyFile) -> CreditPolicy:
    """The policy's values from its validated file."""
    triggers = file.blacklist.triggers
    disclosure = file.disclosure
    return CreditPolicy(
        version=file.version,
        start_score=file.start_score,
        deductions=MappingProxyType(file.deductions.model_dump()),
        category_multipliers=MappingProxyType(dict(file.category_multipliers)),
        repeat=RepeatRule(**file.repeat.model_dump()),
        recovery=RecoveryRule(**file.recovery.model_dump()),
        expiry_days=file.expiry.after_days,
        grades=tuple(
            Grade(
                g.id,
                g.min_score,
                g.zh,
                g.en,
                g.colour,
                tuple(_restriction(r) for r in g.restrictions),
            )
            for g in file.grades
        ),
        blacklist=BlacklistRule(
            high_severity_count=triggers.high_severity.count,
            high_severity_window_days=triggers.high_severity.window_days,
            score_below=triggers.score_below,
            duration_days=file.blacklist.duration_days,
            early_removal_after_days=file.blacklist.early_removal_after_days,
            restrictions=tuple(_restriction(r) for r in file.blacklist.restrictions or ()),
        ),
        repair=RepairRule(**file.repair.model_dump()),
        disclosure=DisclosureRule(
            grade_public=disclosure.grade_public,
            blacklist_after_end_days=disclosure.blacklist_after_end_days,
            violation_days=MappingProxyType(disclosure.violation_days.model_dump()),
            record_retention_days=disclosure.record_retention_days,
            withdraw_within_working_days=disclosure.withdraw_within_working_days,
        ),
        script_valid_days=file.scripts.valid_days,
        unregistered_may_go_live=file.unregistered.may_go_live,
    )


def _restriction(entry: RestrictionEntry) -> Restriction:
    return Restriction(entry.id, entry.zh, entry.en, entry.blocks)

"""The credit policy: every number of the anchor credit rules, read from a YAML data file and
validated into frozen dataclasses.

This module reads and checks the policy file; it does not compute credit (see credit.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .data_files import data_dir
from .errors import InputError, LexiconError
from .lexicon import SEVERITIES, read_yaml

BLOCKABLE_ACTIONS = ("register", "go_live")
_TOP_KEYS = (
    "version",
    "start_score",
    "deductions",
    "category_multipliers",
    "repeat",
    "recovery",
    "expiry",
    "grades",
    "blacklist",
    "repair",
    "disclosure",
    "scripts",
    "unregistered",
)


class PolicyError(InputError):
    """A credit policy file is unreadable or breaks the schema; `problems` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid credit policy: " + "; ".join(problems))


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
        raise PolicyError([f"{path}: cannot read ({exc})"]) from None
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
        raise PolicyError([f"{where}: top level must be a mapping"])
    check = _Checker()
    for key in _TOP_KEYS:
        if key not in raw:
            check.problem(f"missing key '{key}'")
    for key in raw:
        if key not in _TOP_KEYS:
            check.problem(f"unknown key '{key}'")
    if check.problems:
        raise PolicyError([f"{where}: {p}" for p in check.problems])
    policy = CreditPolicy(
        version=check.text(raw, "version"),
        start_score=check.number(raw, "start_score", positive=True),
        deductions=_deductions(check, raw),
        category_multipliers=_multipliers(check, raw, categories),
        repeat=RepeatRule(
            window_days=check.whole(raw, "repeat.window_days"),
            factor=check.number(raw, "repeat.factor", at_least=1),
            cap=check.number(raw, "repeat.cap", at_least=1),
        ),
        recovery=RecoveryRule(
            clean_days=check.whole(raw, "recovery.clean_days"),
            period_days=check.whole(raw, "recovery.period_days", positive=True),
            points=check.number(raw, "recovery.points"),
        ),
        expiry_days=check.whole(raw, "expiry.after_days", positive=True),
        grades=_grades(check, raw),
        blacklist=BlacklistRule(
            high_severity_count=check.whole(raw, "blacklist.triggers.high_severity.count"),
            high_severity_window_days=check.whole(
                raw, "blacklist.triggers.high_severity.window_days"
            ),
            score_below=check.number(raw, "blacklist.triggers.score_below"),
            duration_days=check.whole(raw, "blacklist.duration_days", positive=True),
            early_removal_after_days=check.whole(raw, "blacklist.early_removal_after_days"),
            restrictions=_restrictions(check, check.value(raw, "blacklist.restrictions"), ""),
        ),
        repair=RepairRule(
            fraction=check.number(raw, "repair.fraction", at_most=1),
            min_age_days=check.whole(raw, "repair.min_age_days"),
        ),
        disclosure=DisclosureRule(
            grade_public=check.flag(raw, "disclosure.grade_public"),
            blacklist_after_end_days=check.whole(raw, "disclosure.blacklist_after_end_days"),
            violation_days=MappingProxyType(
                {s: check.whole(raw, f"disclosure.violation_days.{s}") for s in SEVERITIES}
            ),
            record_retention_days=check.whole(raw, "disclosure.record_retention_days"),
            withdraw_within_working_days=check.whole(
                raw, "disclosure.withdraw_within_working_days"
            ),
        ),
        script_valid_days=check.whole(raw, "scripts.valid_days", positive=True),
        unregistered_may_go_live=check.flag(raw, "unregistered.may_go_live"),
    )
    if policy.repeat.cap < policy.repeat.factor:
        check.problem("repeat.cap must be at least repeat.factor")
    if policy.grades and policy.grades[0].min_score > policy.start_score:
        check.problem("grades: the best grade's min_score is above start_score")
    if check.problems:
        raise PolicyError([f"{where}: {p}" for p in check.problems])
    return policy


class _Checker:
    """Reads dotted keys from the raw mapping and collects problems instead of stopping at one.

    `under(prefix)` gives a checker for a nested item that reports into the same list."""

    def __init__(self, problems: list[str] | None = None, prefix: str = "") -> None:
        self.problems: list[str] = [] if problems is None else problems
        self.prefix = prefix

    def under(self, prefix: str) -> _Checker:
        return _Checker(self.problems, f"{self.prefix}{prefix}.")

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def value(self, raw: Any, dotted: str) -> Any:
        node = raw
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                self.problem(f"missing key '{self.prefix}{dotted}'")
                return None
            node = node[part]
        return node

    def text(self, raw: Any, dotted: str) -> str:
        value = self.value(raw, dotted)
        if value is not None and (not isinstance(value, (str, int, float)) or str(value) == ""):
            self.problem(f"'{self.prefix}{dotted}' must be a non-empty string")
        return "" if value is None else str(value)

    def flag(self, raw: Any, dotted: str) -> bool:
        value = self.value(raw, dotted)
        if value is not None and not isinstance(value, bool):
            self.problem(f"'{self.prefix}{dotted}' must be true or false")
        return bool(value)

    def number(
        self,
        raw: Any,
        dotted: str,
        positive: bool = False,
        at_least: float = 0,
        at_most: float | None = None,
    ) -> float:
        return self.check_number(self.value(raw, dotted), dotted, positive, at_least, at_most)

    def check_number(
        self,
        value: Any,
        dotted: str,
        positive: bool = False,
        at_least: float = 0,
        at_most: float | None = None,
    ) -> float:
        dotted = f"{self.prefix}{dotted}"
        if value is None:
            return 0.0
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(f"'{dotted}' must be a number, not {value!r}")
            return 0.0
        if value < at_least or (positive and value <= 0):
            bound = "positive" if positive else f"at least {at_least:g}"
            self.problem(f"'{dotted}' must be {bound}, not {value!r}")
        if at_most is not None and value > at_most:
            self.problem(f"'{dotted}' must be at most {at_most:g}, not {value!r}")
        return float(value)

    def whole(self, raw: Any, dotted: str, positive: bool = False) -> int:
        value = self.value(raw, dotted)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            self.problem(f"'{self.prefix}{dotted}' must be a whole number, not {value!r}")
            return 0
        return int(self.check_number(value, dotted, positive))


def _deductions(check: _Checker, raw: dict) -> Mapping[str, float]:
    given = raw.get("deductions")
    if not isinstance(given, dict):
        check.problem("'deductions' must map each severity to points")
        return MappingProxyType({s: 0.0 for s in SEVERITIES})
    for severity in given:
        if severity not in SEVERITIES:
            check.problem(
                f"deductions: unknown severity '{severity}' (known: {', '.join(SEVERITIES)})"
            )
    points = {s: check.number(given, s) if s in given else 0.0 for s in SEVERITIES}
    for severity in SEVERITIES:
        if severity not in given:
            check.problem(f"deductions: missing severity '{severity}'")
    if not points["low"] <= points["medium"] <= points["high"]:
        check.problem("deductions must not decrease with severity (low ≤ medium ≤ high)")
    return MappingProxyType(points)


def _multipliers(check: _Checker, raw: dict, categories: tuple[str, ...]) -> Mapping[str, float]:
    given = raw.get("category_multipliers")
    if not isinstance(given, dict):
        check.problem("'category_multipliers' must map each category id to a number")
        return MappingProxyType({c: 1.0 for c in categories})
    for category in given:
        if category not in categories:
            check.problem(f"category_multipliers: unknown category '{category}'")
    for category in categories:
        if category not in given:
            check.problem(f"category_multipliers: missing category '{category}'")
    return MappingProxyType(
        {
            c: check.check_number(given[c], f"category_multipliers.{c}", positive=True)
            for c in categories
            if c in given
        }
    )


def _grades(check: _Checker, raw: dict) -> tuple[Grade, ...]:
    given = raw.get("grades")
    if not isinstance(given, list) or not given:
        check.problem("'grades' must be a non-empty list")
        return ()
    grades = []
    for i, item in enumerate(given):
        where = f"grades[{i}]"
        if not isinstance(item, dict):
            check.problem(f"{where} must be a mapping")
            continue
        item_check = check.under(where)
        grades.append(
            Grade(
                id=item_check.text(item, "id"),
                min_score=item_check.number(item, "min_score"),
                zh=item_check.text(item, "zh"),
                en=item_check.text(item, "en"),
                colour=item_check.text(item, "colour"),
                restrictions=_restrictions(check, item.get("restrictions", []), where),
            )
        )
    ids = [g.id for g in grades]
    if len(set(ids)) != len(ids):
        check.problem("grades: ids must be unique")
    mins = [g.min_score for g in grades]
    if any(a <= b for a, b in pairwise(mins)):
        check.problem("grades must be ordered best first, by strictly decreasing min_score")
    if grades and grades[-1].min_score != 0:
        check.problem("grades: the last grade must have min_score 0, so every score has a grade")
    return tuple(grades)


def _restrictions(check: _Checker, given: Any, where: str) -> tuple[Restriction, ...]:
    label = f"{where}.restrictions" if where else "blacklist.restrictions"
    if given is None:
        return ()
    if not isinstance(given, list):
        check.problem(f"'{label}' must be a list")
        return ()
    restrictions = []
    for i, item in enumerate(given):
        if not isinstance(item, dict):
            check.problem(f"{label}[{i}] must be a mapping with id, zh, en")
            continue
        blocks = item.get("blocks") or []
        if not isinstance(blocks, list):
            check.problem(f"{label}[{i}].blocks must be a list of actions")
            blocks = []
        for action in blocks:
            if action not in BLOCKABLE_ACTIONS:
                check.problem(
                    f"{label}[{i}]: unknown blocked action '{action}' "
                    f"(known: {', '.join(BLOCKABLE_ACTIONS)})"
                )
        item_check = check.under(f"{label}[{i}]")
        restrictions.append(
            Restriction(
                id=item_check.text(item, "id"),
                zh=item_check.text(item, "zh"),
                en=item_check.text(item, "en"),
                blocks=tuple(blocks),
            )
        )
    return tuple(restrictions)

"""Lexicon profiles: which categories, entries and severities apply for a platform or industry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pydantic import Field

from monitor.data_schema import DataModel, validate
from monitor.errors import LexiconError, UnknownProfileError
from monitor.lexicon.entries import SEVERITIES, Entry
from monitor.messages import label
from monitor.yaml_files import read_yaml


@dataclass(frozen=True)
class Profile:
    name: str
    description: str = ""
    categories: frozenset[str] | None = None
    exclude_categories: frozenset[str] = frozenset()
    min_severity: str = "low"
    severity_overrides: Mapping[str, str] = field(default_factory=dict)
    product_class: str | None = None

    def severity_of(self, category: str, severity: str, rule: str = "") -> str | None:
        """The severity this profile gives a finding, or None when the profile leaves it out."""
        if self.categories is not None and category not in self.categories:
            return None
        if category in self.exclude_categories:
            return None
        severity = self.severity_overrides.get(
            rule, self.severity_overrides.get(category, severity)
        )
        if SEVERITIES.index(severity) < SEVERITIES.index(self.min_severity):
            return None
        return severity

    def select(self, entry: Entry) -> Entry | None:
        """The entry as this profile applies it (severity overridden), or None when left out."""
        severity = self.severity_of(entry.category, entry.severity, entry.id)
        if severity is None:
            return None
        return entry if severity == entry.severity else replace(entry, severity=severity)


Severity = Literal[SEVERITIES]


class _ProfileSchema(DataModel):
    """One profile under `profiles:` in profiles.yaml or a user's file."""

    description: str = ""
    categories: tuple[str, ...] | None = None
    exclude_categories: tuple[str, ...] = ()
    min_severity: Severity = "low"
    severity_overrides: dict[str, Severity] = Field(default_factory=dict)
    product_class: str | None = None

    def to_profile(self, name: str) -> Profile:
        return Profile(
            name=name,
            description=self.description,
            categories=frozenset(self.categories) if self.categories else None,
            exclude_categories=frozenset(self.exclude_categories),
            min_severity=self.min_severity,
            severity_overrides=dict(self.severity_overrides),
            product_class=self.product_class,
        )


def load_profiles(files: Iterable[Path]) -> dict[str, Profile]:
    """Profiles from every file that has a `profiles:` map; later files override earlier ones."""
    profiles = {"default": Profile("default")}
    problems = []
    for path in files:
        for name, raw in (read_yaml(Path(path)).get("profiles") or {}).items():
            model, found = validate(_ProfileSchema, raw or {}, f"{path}: profile '{name}'")
            problems.extend(found)
            if model is not None:
                profiles[str(name)] = model.to_profile(str(name))
    if problems:
        raise LexiconError(problems)
    return profiles


def find_profile(profiles: Mapping[str, Profile], name: str | None) -> Profile:
    name = name or "default"
    if name not in profiles:
        known = tuple(sorted(profiles))
        raise UnknownProfileError(
            label("request_error", "unknown_profile", name=name, known=known), name, known
        )
    return profiles[name]

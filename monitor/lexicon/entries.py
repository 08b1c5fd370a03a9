"""Loading and validating banned-claims lexicons (YAML data files) into immutable entries.

This module reads files and checks the schema; it does not match text (see matcher.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from monitor.data_files import data_dir
from monitor.data_schema import validate
from monitor.errors import LexiconError
from monitor.lexicon.rewordings import RewordingRules
from monitor.lexicon.schema import (
    ENTRY_NOUNS,
    CategoriesFile,
    EntrySchema,
    RegexException,
    WhitelistItem,
    whitelist_item,
)
from monitor.vocabulary import SEVERITIES as SEVERITIES  # re-exported: callers import it from here
from monitor.yaml_files import read_validated, read_yaml

CONFIG_FILES = frozenset(
    {
        "categories",
        "normalization",
        "context",
        "scoring",
        "whitelist",
        "profiles",
        "claim_evidence",
        "evasion",
        "rewording",
        "laws",
    }
)


@dataclass(frozen=True)
class Category:
    id: str
    zh: str
    en: str


@dataclass(frozen=True)
class Entry:
    """One banned claim with its legal basis and a compliant rewording."""

    id: str
    term: str
    category: str
    severity: str
    basis: tuple[str, ...]
    explanation: str
    suggestion: str  # what to say or do instead, shown to the anchor
    variants: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    regex_exceptions: tuple[str, ...] = ()
    applies_to: tuple[str, ...] = ("all",)
    exempt_for: tuple[str, ...] = ()
    negatable: bool = True
    requires_context: tuple[str, ...] = ()
    lang: str = "zh"
    source: str = ""
    needs: str = ""
    pattern: str = (
        ""  # a claim said in many words: a regex over the normalised text; term is its label
    )
    rewording: str = ""  # words that may replace the term where it stands; "" when none fits

    def applies(self, product_class: str | None) -> bool:
        """Whether this entry is a violation for goods of `product_class` (None: unknown, applies
        unless the entry needs the product class to be known)."""
        if product_class is None:
            return self.needs != "product_class"
        if product_class in self.exempt_for:
            return False
        return "all" in self.applies_to or product_class in self.applies_to


@dataclass(frozen=True)
class WhitelistPhrase:
    """A phrase (or, with `is_regex`, a pattern over the clause) that covers ordinary uses."""

    phrase: str
    note: str = ""
    source: str = ""
    is_regex: bool = False


@dataclass(frozen=True)
class Lexicon:
    """Every loaded entry and whitelist phrase, with the categories and product classes they use."""

    entries: tuple[Entry, ...]
    whitelist: tuple[WhitelistPhrase, ...]
    categories: Mapping[str, Category]
    product_classes: Mapping[str, str]
    files: tuple[str, ...] = field(default=())


def _load_categories(path: Path) -> tuple[dict[str, Category], dict[str, str]]:
    data = read_validated(path, CategoriesFile)
    categories = {cid: Category(cid, n.zh, n.en) for cid, n in data.categories.items()}
    return categories, dict(data.product_classes)


def _entry(model: EntrySchema, source: str) -> Entry:
    return Entry(
        id=model.id,
        term=model.term.strip(),
        category=model.category,
        severity=model.severity,
        basis=model.basis,
        explanation=model.explanation.strip(),
        suggestion=model.suggestion.strip(),
        variants=model.variants,
        exceptions=tuple(e for e in model.exceptions if isinstance(e, str)),
        regex_exceptions=tuple(e.regex for e in model.exceptions if isinstance(e, RegexException)),
        applies_to=model.applies_to or ("all",),
        exempt_for=model.exempt_for,
        negatable=model.negatable,
        requires_context=model.requires_context,
        lang=model.lang,
        source=source,
        needs=model.needs,
        pattern=model.pattern,
        rewording=(model.rewording or "").strip(),
    )


def _entries_of_file(
    data: dict, path: Path, context: Mapping[str, object]
) -> tuple[list[Entry], list[str]]:
    defaults = data.get("defaults") or {}
    file_category = data.get("category")
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list):
        return [], [f"{path}: entries: 须为列表 / 'entries' must be a list"]
    entries, problems = [], []
    for index, raw in enumerate(raw_entries, start=1):
        if not isinstance(raw, dict):
            problems.append(f"{path.name}: entry #{index}: 须为映射 / must be a mapping")
            continue
        merged = {**defaults, **raw}
        if file_category and "category" not in merged:
            merged["category"] = file_category
        where = f"{path.name}: entry #{index} ({merged.get('id', 'no id')})"
        model, found = validate(EntrySchema, merged, where, context, ENTRY_NOUNS)
        if model is not None:
            entries.append(_entry(model, path.name))
        problems.extend(found)
    return entries, problems


def _whitelist_of(data: dict, path: Path) -> tuple[list[WhitelistPhrase], list[str]]:
    phrases, problems = [], []
    for index, raw in enumerate(data.get("whitelist") or [], start=1):
        item, found = validate(
            WhitelistItem, whitelist_item(raw), f"{path.name}: whitelist #{index}"
        )
        problems.extend(found)
        if item is not None and item.regex is not None:
            phrases.append(WhitelistPhrase(item.regex, item.note, path.name, True))
        elif item is not None and item.phrase is not None:
            phrases.append(WhitelistPhrase(item.phrase.strip(), item.note, path.name))
    return phrases, problems


def cross_file_problems(entries: Iterable[Entry]) -> list[str]:
    """Duplicate ids anywhere, and the same term twice in one category."""
    problems, ids, terms = [], {}, {}
    for entry in entries:
        if entry.id in ids:
            problems.append(f"{entry.source}: duplicate id '{entry.id}' (also in {ids[entry.id]})")
        ids.setdefault(entry.id, entry.source)
        key = (entry.category, entry.term.lower())
        if key in terms:
            problems.append(
                f"{entry.source}: term '{entry.term}' appears twice in category "
                f"{entry.category} ({terms[key]} and {entry.id})"
            )
        terms.setdefault(key, entry.id)
    return problems


def builtin_lexicon_files(folder: Path | None = None) -> list[Path]:
    """The lexicon files shipped with the package, in a stable order: one per category, then one
    per product class (products/alcohol.yaml: terms only that class's advertising may not use)."""
    folder = folder or data_dir("lexicons")
    shared = sorted(p for p in folder.glob("*.yaml") if p.stem not in CONFIG_FILES)
    return shared + sorted((folder / "products").glob("*.yaml"))


def load_product_classes(folder: Path | None = None) -> dict[str, str]:
    """The product classes entries and checks may name (categories.yaml), without the lexicon."""
    return _load_categories((folder or data_dir("lexicons")) / "categories.yaml")[1]


def load_lexicon(extra_files: Iterable[str | Path] = (), folder: Path | None = None) -> Lexicon:
    """Load the shipped lexicon plus users' files; raise LexiconError listing every problem."""
    folder = folder or data_dir("lexicons")
    categories, classes = _load_categories(folder / "categories.yaml")
    rules_file = folder / "rewording.yaml"
    rewording_rules = RewordingRules.load(rules_file) if rules_file.exists() else RewordingRules()
    context = {
        "categories": categories,
        "product_classes": classes,
        "rewording_rules": rewording_rules,
    }
    files = [*builtin_lexicon_files(folder), folder / "whitelist.yaml"]
    files += [Path(p) for p in extra_files]
    entries: list[Entry] = []
    whitelist: list[WhitelistPhrase] = []
    problems: list[str] = []
    for path in files:
        data = read_yaml(path)
        for cid, names in (data.get("categories") or {}).items():
            if path.parent != folder or path.stem != "categories":
                categories.setdefault(
                    cid, Category(cid, names.get("zh", cid), names.get("en", cid))
                )
        if "entries" in data:
            found, bad = _entries_of_file(data, path, context)
            entries.extend(found)
            problems.extend(bad)
        found_phrases, bad = _whitelist_of(data, path)
        whitelist.extend(found_phrases)
        problems.extend(bad)
        if not {"entries", "whitelist", "categories", "profiles"} & set(data):
            problems.append(f"{path}: no 'entries', 'whitelist' or 'profiles' in this file")
    problems.extend(cross_file_problems(entries))
    if problems:
        raise LexiconError(problems)
    return Lexicon(tuple(entries), tuple(whitelist), categories, classes, tuple(map(str, files)))

"""Loading and validating banned-claims lexicons (YAML data files) into immutable entries.

This module reads files and checks the schema; it does not match text (see matcher.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .data_files import data_dir
from .data_schema import problems_of
from .errors import LexiconError
from .rewordings import RewordingRules
from .vocabulary import SEVERITIES

ModelT = TypeVar("ModelT", bound=BaseModel)

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster when present
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_REQUIRED = ("id", "term", "category", "severity", "basis", "explanation", "suggestion")
_KNOWN_FIELDS = set(_REQUIRED) | {
    "variants",
    "exceptions",
    "applies_to",
    "exempt_for",
    "negatable",
    "requires_context",
    "lang",
    "note",
    "needs",
    "pattern",
    "rewording",
}
# What besides the text an entry needs before it may fire: "product_class" (lawful or not by the
# product: 防晒 is a registered special-cosmetics claim), "facts" (lawful when true: 零糖, 原装进口
# are checked against the product's registered evidence, monitor/policies/fact_claims.yaml).
# "price_gap": a reference price (原价, 外面卖) is lawful when true; it fires only where the
# sentence's own prices show an implausible gap (context.yaml price_gap), besides its requires_context.
NEEDS = ("", "product_class", "facts", "price_gap")
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


def _as_tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def validated(model: type[ModelT], data: object, where: str) -> ModelT:
    """`data` validated by a pydantic model, or LexiconError naming `where` and the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise LexiconError(problems_of(exc, where)) from exc


def read_validated(path: Path, model: type[ModelT]) -> ModelT:
    """One YAML file validated by a pydantic model, or LexiconError naming the file and field."""
    return validated(model, read_yaml(path), str(path))


def read_yaml(path: Path) -> dict:
    """Parse one YAML file into a mapping, or raise LexiconError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError([f"{path}: cannot read ({exc})"]) from exc
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise LexiconError(
            [f"{path}:{where} invalid YAML ({getattr(exc, 'problem', exc)})"]
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LexiconError([f"{path}: top level must be a mapping with an 'entries' list"])
    return data


def _load_categories(data: dict) -> tuple[dict[str, Category], dict[str, str]]:
    categories = {
        cid: Category(cid, names.get("zh", cid), names.get("en", cid))
        for cid, names in (data.get("categories") or {}).items()
    }
    return categories, dict(data.get("product_classes") or {})


def _entry_problems(
    raw: dict,
    where: str,
    categories: Mapping[str, Category],
    classes: Mapping[str, str],
    rewording_rules: RewordingRules,
) -> list[str]:
    problems = []
    for name in _REQUIRED:
        value = raw.get(name)
        if value is None or value == "" or value == []:
            problems.append(f"{where}: missing '{name}'")
    unknown = set(raw) - _KNOWN_FIELDS
    if unknown:
        problems.append(f"{where}: unknown field(s) {sorted(unknown)}")
    if raw.get("id") and not _ID_PATTERN.match(str(raw["id"])):
        problems.append(f"{where}: id must be lowercase letters, digits, '_', '.', '-'")
    if raw.get("category") and raw["category"] not in categories:
        problems.append(f"{where}: unknown category '{raw['category']}'")
    if raw.get("severity") and raw["severity"] not in SEVERITIES:
        problems.append(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
    term = str(raw.get("term") or "")
    if raw.get("pattern"):
        try:
            compiled = re.compile(str(raw["pattern"]))
        except re.error as exc:
            problems.append(f"{where}: pattern '{raw['pattern']}' is invalid ({exc})")
        else:
            if compiled.search(""):
                problems.append(f"{where}: pattern '{raw['pattern']}' matches the empty text")
        term = ""  # a pattern's term is its label: exceptions need not contain it
    elif term and len(term.strip()) < 2:
        problems.append(f"{where}: term '{term}' is shorter than two characters")
    for item in _as_tuple(raw.get("exceptions")):
        problems.extend(_exception_problems(item, term, where))
    for pattern in _as_tuple(raw.get("requires_context")):
        try:
            re.compile(str(pattern))
        except re.error as exc:
            problems.append(f"{where}: requires_context regex '{pattern}' is invalid ({exc})")
    for key in ("applies_to", "exempt_for"):
        for cls in _as_tuple(raw.get(key)):
            if cls not in classes:
                problems.append(f"{where}: unknown product class '{cls}' in {key}")
    if raw.get("lang", "zh") not in ("zh", "en"):
        problems.append(f"{where}: lang must be zh or en")
    if raw.get("needs", "") not in NEEDS:
        problems.append(f"{where}: needs must be one of {', '.join(n for n in NEEDS if n)}")
    if raw.get("needs") and not raw.get("note"):
        problems.append(f"{where}: an entry with 'needs' must say why in 'note'")
    if "rewording" in raw:
        rewording = raw["rewording"]
        if not isinstance(rewording, str) or not rewording.strip():
            problems.append(f"{where}: rewording must be words; leave it out when none fits")
        else:
            problems.extend(
                rewording_rules.problems(rewording.strip(), term, str(raw.get("lang", "zh")), where)
            )
    return problems


def _exception_problems(item: Any, term: str, where: str) -> list[str]:
    if isinstance(item, dict) and "regex" in item:
        try:
            compiled = re.compile(str(item["regex"]))
        except re.error as exc:
            return [f"{where}: exception regex '{item['regex']}' is invalid ({exc})"]
        if term and compiled.fullmatch(term.lower()):
            return [
                f"{where}: exception regex '{item['regex']}' matches the bare term and swallows it"
            ]
        return []
    if not isinstance(item, str):
        return [f"{where}: exception must be a phrase or {{regex: ...}}, got {item!r}"]
    if term and item.lower() == term.lower():
        return [f"{where}: exception '{item}' equals the term and would swallow every hit"]
    if term and term.lower() not in item.lower():
        return [
            f"{where}: exception '{item}' does not contain the term '{term}', so it never applies"
        ]
    return []


def _build_entry(raw: dict, source: str) -> Entry:
    exceptions = _as_tuple(raw.get("exceptions"))
    return Entry(
        id=str(raw["id"]),
        term=str(raw["term"]).strip(),
        category=str(raw["category"]),
        severity=str(raw["severity"]),
        basis=tuple(str(b) for b in _as_tuple(raw["basis"])),
        explanation=str(raw["explanation"]).strip(),
        suggestion=str(raw["suggestion"]).strip(),
        variants=tuple(str(v) for v in _as_tuple(raw.get("variants"))),
        exceptions=tuple(str(e) for e in exceptions if isinstance(e, str)),
        regex_exceptions=tuple(str(e["regex"]) for e in exceptions if isinstance(e, dict)),
        applies_to=tuple(_as_tuple(raw.get("applies_to")) or ("all",)),
        exempt_for=tuple(_as_tuple(raw.get("exempt_for"))),
        negatable=bool(raw.get("negatable", True)),
        requires_context=tuple(str(p) for p in _as_tuple(raw.get("requires_context"))),
        lang=str(raw.get("lang", "zh")),
        source=source,
        needs=str(raw.get("needs", "")),
        pattern=str(raw.get("pattern", "")),
        rewording=str(raw.get("rewording") or "").strip(),
    )


def _entries_of_file(
    data: dict,
    path: Path,
    categories: Mapping[str, Category],
    classes: Mapping[str, str],
    rewording_rules: RewordingRules,
) -> tuple[list[Entry], list[str]]:
    defaults = data.get("defaults") or {}
    file_category = data.get("category")
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list):
        return [], [f"{path}: 'entries' must be a list"]
    entries, problems = [], []
    for index, raw in enumerate(raw_entries, start=1):
        if not isinstance(raw, dict):
            problems.append(f"{path}: entry #{index}: must be a mapping")
            continue
        merged = {**defaults, **raw}
        if file_category and "category" not in merged:
            merged["category"] = file_category
        where = f"{path.name}: entry #{index} ({merged.get('id', 'no id')})"
        found = _entry_problems(merged, where, categories, classes, rewording_rules)
        if found:
            problems.extend(found)
        else:
            entries.append(_build_entry(merged, path.name))
    return entries, problems


def _whitelist_of(data: dict, path: Path) -> tuple[list[WhitelistPhrase], list[str]]:
    phrases, problems = [], []
    for index, item in enumerate(data.get("whitelist") or [], start=1):
        if isinstance(item, dict) and "regex" in item:
            try:
                re.compile(str(item["regex"]))
            except re.error as exc:
                problems.append(f"{path.name}: whitelist #{index}: invalid regex ({exc})")
                continue
            phrases.append(
                WhitelistPhrase(str(item["regex"]), str(item.get("note", "")), path.name, True)
            )
            continue
        phrase = item.get("phrase") if isinstance(item, dict) else item
        if not isinstance(phrase, str) or len(phrase.strip()) < 2:
            problems.append(
                f"{path.name}: whitelist #{index}: needs a 'phrase' of two or more characters"
            )
            continue
        note = item.get("note", "") if isinstance(item, dict) else ""
        phrases.append(WhitelistPhrase(phrase.strip(), str(note), path.name))
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
    return _load_categories(read_yaml((folder or data_dir("lexicons")) / "categories.yaml"))[1]


def load_lexicon(extra_files: Iterable[str | Path] = (), folder: Path | None = None) -> Lexicon:
    """Load the shipped lexicon plus users' files; raise LexiconError listing every problem."""
    folder = folder or data_dir("lexicons")
    categories, classes = _load_categories(read_yaml(folder / "categories.yaml"))
    rules_file = folder / "rewording.yaml"
    rewording_rules = RewordingRules.load(rules_file) if rules_file.exists() else RewordingRules()
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
            found, bad = _entries_of_file(data, path, categories, classes, rewording_rules)
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

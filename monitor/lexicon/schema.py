"""The schema of lexicon files as pydantic models: one entry, one whitelist item, the categories
file. Checks that need the rest of the lexicon (known categories and product classes, rewording
rules) read them from the validation context.

This module validates values; it reads no files and builds no entries (see lexicon/entries.py).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from monitor.data_schema import DataModel, Text, number_as_text
from monitor.lexicon.rewordings import RewordingRules
from monitor.vocabulary import SEVERITIES

# What besides the text an entry needs before it may fire: "product_class" (lawful or not by the
# product: 防晒 is a registered special-cosmetics claim), "facts" (lawful when true: 零糖, 原装进口
# are checked against the product's registered evidence, monitor/policies/fact_claims.yaml).
# "price_gap": a reference price (原价, 外面卖) is lawful when true; it fires only where the
# sentence's own prices show an implausible gap (context.yaml price_gap), besides its requires_context.
NEEDS = ("", "product_class", "facts", "price_gap")
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
# An entry's required keys are reported as "missing 'basis'", without a noun.
ENTRY_NOUNS = {"": ("", "")}


def _as_list(value: Any) -> Any:
    """A single value where a list is expected is a list of one (`basis: 广告法第九条`)."""
    return [value] if value is not None and not isinstance(value, list | tuple) else value


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"正则无效 / regex '{pattern}' is invalid ({exc})") from None
    return pattern


Regex = Annotated[str, BeforeValidator(number_as_text), Field(min_length=1)]
Words = Annotated[
    tuple[Annotated[str, BeforeValidator(number_as_text)], ...], BeforeValidator(_as_list)
]


class RegexException(DataModel):
    """An exception written as a pattern over the clause: `{regex: ...}`."""

    regex: Regex

    _compiles = field_validator("regex")(_regex)


def _known(kind: tuple[str, str], key: str, values: tuple[str, ...], info: ValidationInfo) -> None:
    known = (info.context or {}).get(key, ())
    for value in values:
        if value not in known:
            raise ValueError(f"未知{kind[0]} '{value}' / unknown {kind[1]} '{value}'")


class EntrySchema(DataModel):
    """One lexicon entry after the file's `defaults` and `category` are merged in."""

    id: Text
    pattern: str = ""  # a claim said in many words: a regex over the normalised text
    term: Text
    category: Text
    severity: str
    basis: Annotated[Words, Field(min_length=1)]
    explanation: Text
    suggestion: Text
    variants: Words = ()
    exceptions: Annotated[tuple[str | RegexException, ...], BeforeValidator(_as_list)] = ()
    applies_to: Words = ()
    exempt_for: Words = ()
    negatable: StrictBool = True
    requires_context: Words = ()
    lang: Literal["zh", "en"] = "zh"
    note: str = ""
    needs: Literal[NEEDS] = ""
    rewording: str | None = None

    @field_validator("id")
    @classmethod
    def _plain_id(cls, value: str) -> str:
        if not _ID_PATTERN.match(value):
            raise ValueError(
                "id 只能含小写字母、数字、'_'、'.'、'-' / "
                "id must be lowercase letters, digits, '_', '.', '-'"
            )
        return value

    @field_validator("pattern")
    @classmethod
    def _pattern_finds_something(cls, value: str) -> str:
        if value and re.compile(_regex(value)).search(""):
            raise ValueError(f"正则匹配空文本 / pattern '{value}' matches the empty text")
        return value

    @field_validator("term")
    @classmethod
    def _term_long_enough(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("pattern", "x") == "" and len(value.strip()) < 2:
            raise ValueError(f"词条少于两个字 / term '{value}' is shorter than two characters")
        return value

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str, info: ValidationInfo) -> str:
        _known(("类别", "category"), "categories", (value,), info)
        return value

    @field_validator("severity")
    @classmethod
    def _known_severity(cls, value: str) -> str:
        if value not in SEVERITIES:
            raise ValueError(
                f"严重程度须为 {'、'.join(SEVERITIES)} 之一 / "
                f"severity must be one of {', '.join(SEVERITIES)}"
            )
        return value

    @field_validator("exceptions")
    @classmethod
    def _exceptions_leave_the_term(cls, value: tuple, info: ValidationInfo) -> tuple:
        term = "" if info.data.get("pattern") else str(info.data.get("term", "")).lower()
        problems = [p for item in value if (p := _exception_problem(item, term))]
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("applies_to", "exempt_for")
    @classmethod
    def _known_classes(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        _known(("商品类别", "product class"), "product_classes", value, info)
        return value

    @field_validator("requires_context")
    @classmethod
    def _context_compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            _regex(pattern)
        return value

    @field_validator("needs")
    @classmethod
    def _needs_a_note(cls, value: str, info: ValidationInfo) -> str:
        if value and not info.data.get("note"):
            raise ValueError(
                "有 needs 的条目须在 note 中说明原因 / an entry with 'needs' must say why in 'note'"
            )
        return value

    @field_validator("rewording")
    @classmethod
    def _rewording_fits(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError(
                "替换词不能为空，无合适替换时省略 / rewording must be words; leave it out when none fits"
            )
        rules = (info.context or {}).get("rewording_rules") or RewordingRules()
        term = "" if info.data.get("pattern") else str(info.data.get("term", ""))
        found = rules.problems(value.strip(), term.strip(), str(info.data.get("lang", "zh")))
        if found:
            raise ValueError(f"替换词不可用 / rewording '{value.strip()}': {'; '.join(found)}")
        return value


def _exception_problem(item: str | RegexException, term: str) -> str:
    """Why an exception would swallow every hit or never apply ("" when it is fine)."""
    if isinstance(item, RegexException):
        if term and re.compile(item.regex).fullmatch(term):
            return (
                f"例外正则吞掉了词条本身 / exception regex '{item.regex}' matches the bare term "
                "and swallows it"
            )
        return ""
    if term and item.lower() == term:
        return f"例外与词条相同 / exception '{item}' equals the term and would swallow every hit"
    if term and term not in item.lower():
        return (
            f"例外不含词条 / exception '{item}' does not contain the term '{term}', "
            "so it never applies"
        )
    return ""


class WhitelistItem(DataModel):
    """A whitelist phrase (two or more characters) or a `regex` over the clause, with a note."""

    phrase: str | None = None
    regex: Regex | None = None
    note: str = ""

    @field_validator("phrase")
    @classmethod
    def _two_characters(cls, value: str | None) -> str | None:
        if value is not None and len(value.strip()) < 2:
            raise ValueError("短语须有两个字以上 / needs a 'phrase' of two or more characters")
        return value

    _compiles = field_validator("regex")(_regex)

    @model_validator(mode="after")
    def _phrase_or_regex(self) -> WhitelistItem:
        if (self.phrase is None) == (self.regex is None):
            raise ValueError(
                "须有 phrase 或 regex 之一 / needs a 'phrase' of two or more characters or a 'regex'"
            )
        return self


def whitelist_item(raw: Any) -> Any:
    """A bare string in the whitelist is a phrase."""
    return {"phrase": raw} if isinstance(raw, str) else raw


class CategoryNames(DataModel):
    zh: Text
    en: Text


class CategoriesFile(DataModel):
    """lexicons/categories.yaml: category ids with their names, and the product classes."""

    categories: dict[str, CategoryNames]
    product_classes: dict[str, Text]

"""Spoken evasion restored: disguised forms of high-value stems (a filler inside the word, doubled
characters, sound-alike characters, euphemisms) turned back into the stem, with an exact offset map.
Rules are data (lexicons/evasion.yaml). Pure once built; jieba's dictionary is consulted only when
a sound-alike candidate is found (rare), to refuse ordinary words.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from monitor.lexicon.variants import syllable_of

Restoration = tuple[int, int, str, str]  # start, end, stem, kind (in the text given)
_PRIVATE = 0xF0000  # fuzzy syllable codes: Supplementary Private Use Area-A, never in real text


class _Fillers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inside: list[str] = []
    replacing: list[str] = []


class _Doubled(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_repeat: int = Field(2, ge=1, le=3)


class _NearHomophones(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fuzzy: list[tuple[str, str]] = []
    max_inserted: int = Field(1, ge=0, le=1)
    min_identical: int = Field(1, ge=1)
    window: int = Field(4, ge=0)
    context: str
    ordinary_word_frequency: int = Field(5, ge=0)


class _Euphemism(BaseModel):
    model_config = ConfigDict(extra="forbid")
    form: str = Field(min_length=2)
    means: str = Field(min_length=1)
    context: str = ""


class EvasionRules(BaseModel):
    """lexicons/evasion.yaml."""

    model_config = ConfigDict(extra="forbid")
    stems: list[str] = Field(min_length=1)
    fillers: _Fillers = _Fillers()
    doubled: _Doubled = _Doubled()
    near_homophones: _NearHomophones | None = None
    euphemisms: list[_Euphemism] = []


def filler_forms(stem: str, inside: list[str], replacing: list[str]) -> set[str]:
    forms = set()
    for i in range(1, len(stem)):
        forms.update(stem[:i] + f + stem[i:] for f in inside)
        if len(stem) >= 3 and i < len(stem) - 1:
            forms.update(stem[:i] + f + stem[i + 1 :] for f in replacing)
    return forms - {stem}


def doubled_forms(stem: str, max_repeat: int) -> set[str]:
    counts = itertools.product(range(1, max_repeat + 1), repeat=len(stem))
    return {"".join(c * n for c, n in zip(stem, r, strict=True)) for r in counts} - {stem}


@dataclass(frozen=True)
class _Euph:
    pattern: re.Pattern
    means: str
    context: re.Pattern | None


class EvasionRestorer:
    """Finds disguised stems in a normalised text; `restorations` is pure and thread-safe."""

    def __init__(self, rules: EvasionRules, normalize):
        stems = sorted({normalize(s) for s in rules.stems}, key=len, reverse=True)
        forms: dict[str, tuple[str, str]] = {}
        for stem in stems:
            for form in doubled_forms(stem, rules.doubled.max_repeat):
                forms.setdefault(form, (stem, "doubled"))
            fillers = [normalize(f) for f in rules.fillers.inside]
            for form in filler_forms(
                stem, fillers, [normalize(f) for f in rules.fillers.replacing]
            ):
                forms.setdefault(form, (stem, "filler"))
        self._forms = forms
        self._stems = tuple(stems)
        self._form_pattern = _alternation(forms)
        self._euphemisms = tuple(
            _Euph(
                re.compile(re.escape(normalize(e.form))),
                normalize(e.means),
                re.compile(e.context) if e.context else None,
            )
            for e in rules.euphemisms
        )
        self._near = rules.near_homophones
        if self._near is not None:
            self._fuzzy_table = _fuzzy_table(tuple(map(tuple, self._near.fuzzy)))
            self._context = re.compile(self._near.context)
            self._stem_keys = self._stem_patterns(stems)

    def _stem_patterns(self, stems: list[str]) -> list[tuple[re.Pattern, str]]:
        patterns = []
        for stem in stems:
            key = stem.translate(self._fuzzy_table)
            if len(stem) < 2 or any(ord(k) < _PRIVATE for k in key):
                continue  # a stem with latin letters or digits has no sound-alikes here
            options = [re.escape(key)]
            if self._near.max_inserted:
                syllable = "[\U000f0000-\U000ffffd]"  # one more CJK syllable, nothing else
                options += [
                    re.escape(key[:i]) + syllable + re.escape(key[i:]) for i in range(1, len(key))
                ]
            patterns.append((re.compile("(?=(" + "|".join(options) + "))"), stem))
        return patterns

    def restorations(self, text: str) -> list[Restoration]:
        """Non-overlapping restorations, in text order (the longest at a place wins)."""
        found: list[Restoration] = []
        if self._form_pattern is not None:
            for m in self._form_pattern.finditer(text):
                stem, kind = self._forms[m.group()]
                found.append((m.start(), m.end(), stem, kind))
        for euph in self._euphemisms:
            for m in euph.pattern.finditer(text):
                if euph.context is None or euph.context.search(
                    text, max(0, m.start() - 12), m.end() + 12
                ):
                    found.append((m.start(), m.end(), euph.means, "euphemism"))
        if self._near is not None:
            found += self._sound_alikes(text)
        chosen: list[Restoration] = []
        for item in sorted(found, key=lambda r: (r[0], -(r[1] - r[0]))):
            if chosen and item[0] < chosen[-1][1]:
                continue
            if item[3] != "euphemism" and _cuts_a_word(text, item[0], item[1]):
                continue
            chosen.append(item)
        return chosen

    def _sound_alikes(self, text: str) -> list[Restoration]:
        keys = text.translate(self._fuzzy_table)
        found = []
        for pattern, stem in self._stem_keys:
            for m in pattern.finditer(keys):
                start, end = m.start(1), m.end(1)
                window = text[start:end]
                if window == stem or not self._plausible(text, window, stem, start, end):
                    continue
                found.append((start, end, stem, "homophone"))
        return found

    def _plausible(self, text: str, window: str, stem: str, start: int, end: int) -> bool:
        near = self._near
        identical = sum(1 for c in window if c in stem)
        if identical < near.min_identical or any(s in window for s in self._stems):
            return False  # the word itself was said (血压 inside 节血压 is no disguise of 降压)
        if len(window) > len(stem) and identical >= len(stem):
            return (
                False  # every sound kept and one more syllable: other words (生活发), no disguise
            )
        context = self._context.search(text, max(0, start - near.window), end + near.window)
        if not context or (start <= context.start() and context.end() <= end):
            return False  # the claim word must be outside the disguised form itself
        return not _ordinary_word(window, near.ordinary_word_frequency)


def _alternation(forms) -> re.Pattern | None:
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile("|".join(re.escape(f) for f in ordered)) if ordered else None


_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x")
_INITIALS += ("r", "z", "c", "s", "y", "w")


def _fuzzy(syllable: str, merges: tuple[tuple[str, str], ...]) -> str:
    """The syllable with its initial and its final each merged at most once (no chains)."""
    initial = next((i for i in _INITIALS if syllable.startswith(i)), "")
    final = syllable[len(initial) :]
    initial = next((t for s, t in merges if s == initial), initial)
    final = next(
        (final[: -len(s)] + t for s, t in merges if s not in _INITIALS and final.endswith(s)), final
    )
    return initial + final


@lru_cache(maxsize=4)
def _fuzzy_table(merges: tuple[tuple[str, str], ...]) -> dict[int, str]:
    codes: dict[str, str] = {}
    table = {}
    for cp, syllable in syllable_of().items():
        key = _fuzzy(syllable, merges)
        table[cp] = codes.setdefault(key, chr(_PRIVATE + len(codes)))
    return table


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, int]:
    import logging

    import jieba  # only here: a sound-alike candidate was found

    logging.getLogger("jieba").setLevel(logging.WARNING)
    jieba.dt.check_initialized()
    return jieba.dt.FREQ


def _cuts_a_word(text: str, start: int, end: int, margin: int = 4) -> bool:
    """Whether [start, end) begins or ends inside a word jieba finds in the text around it."""
    _dictionary()
    import jieba

    left = max(0, start - margin)
    boundaries, position = {left}, left
    for token in jieba.cut(text[left : end + margin], HMM=False):
        position += len(token)
        boundaries.add(position)
    return start not in boundaries or end not in boundaries


@lru_cache(maxsize=4096)
def _ordinary_word(word: str, min_frequency: int) -> bool:
    return bool(min_frequency) and _dictionary().get(word, 0) >= min_frequency

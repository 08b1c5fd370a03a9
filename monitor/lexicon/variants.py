"""The spellings each lexicon entry is matched in: the term, its listed variants, and generated forms.

Generated forms (rules in lexicons/normalization.yaml, `generated`): pinyin initials (zdj); a
filler syllable inside the word (免某力); and a homophone key under which any character with the
same toneless pinyin matches (醉低价 for 最低价). Whole or mixed pinyin is matched by
lexicon/pinyin_stream.py. Pure functions over strings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from monitor.lexicon.entries import Entry

_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
_PRIVATE_USE_START = (
    0xE000  # syllable codes live in the Private Use Area, one per toneless syllable
)


@dataclass(frozen=True)
class MatchForm:
    """One string to look for, the entry it belongs to, and how it relates to the term."""

    pattern: str
    kind: str  # exact | variant | initials | filler


def is_cjk_word(text: str) -> bool:
    return bool(_CJK.match(text))


def _toneless(syllable: str) -> str:
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", syllable) if not unicodedata.combining(c)
    )
    return stripped.replace("ü", "v")


@lru_cache(maxsize=1)
def syllable_of() -> dict[int, str]:
    """Every CJK code point's toneless pinyin syllable (its first reading)."""
    # pypinyin is imported on first use: a checker loaded from its cache needs none
    from pypinyin.pinyin_dict import pinyin_dict

    return {cp: _toneless(readings.split(",")[0]) for cp, readings in pinyin_dict.items()}


@lru_cache(maxsize=1)
def homophone_table() -> dict[int, str]:
    """Translate table: every CJK character to a code standing for its toneless pinyin syllable."""
    codes: dict[str, str] = {}
    table: dict[int, str] = {}
    for code_point, syllable in syllable_of().items():
        if syllable not in codes:
            codes[syllable] = chr(_PRIVATE_USE_START + len(codes))
        table[code_point] = codes[syllable]
    return table


@lru_cache(maxsize=8192)
def syllables(term: str) -> tuple[str, ...]:
    """Toneless pinyin syllables of a Chinese term (最低价 -> zui, di, jia); cached, since the
    initials and the pinyin stream both ask for every term at start-up."""
    from pypinyin import lazy_pinyin

    return tuple(_toneless(s) for s in lazy_pinyin(term))


def filler_forms(term: str, fillers: list[str]) -> list[str]:
    """A filler syllable inserted after an inner character (贫某血, 免某疫力) or, in terms of three
    or more characters, replacing one (免某力)."""
    forms = []
    for filler in fillers:
        for i in range(1, len(term)):
            forms.append(term[:i] + filler + term[i:])
            if i < len(term) - 1:
                forms.append(term[:i] + filler + term[i + 1 :])
    return [f for f in dict.fromkeys(forms) if f != term]


def match_forms(entry: Entry, normalize, generated: dict) -> Iterator[MatchForm]:
    """Every normalised string that should match `entry`, each with its kind.

    `normalize` maps a string to its normalised form (the same one applied to checked text).
    """
    if entry.pattern:
        return  # matched by its regex (checking/detectors/lexicon.py), never by its label
    term = normalize(entry.term)
    yield MatchForm(term, "exact")
    for variant in entry.variants:
        form = normalize(variant)
        if form and form != term:
            yield MatchForm(form, "variant")
    if entry.lang != "zh" or not is_cjk_word(term):
        return
    initials = generated.get("initials") or {}
    if len(term) >= int(initials.get("min_term_length", 3)):
        yield MatchForm("".join(s[0] for s in syllables(term)), "initials")
    filler = generated.get("filler") or {}
    if entry.category in filler.get("categories", []) and len(term) >= int(
        filler.get("min_term_length", 3)
    ):
        for form in filler_forms(term, list(filler.get("chars", []))):
            yield MatchForm(form, "filler")


def homophone_key(text: str) -> str:
    """`text` with every CJK character replaced by its syllable code (length is unchanged)."""
    return text.translate(homophone_table())

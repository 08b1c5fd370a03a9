"""Text normalisation for matching, with an exact map back to offsets in the text as given.

Steps (rules in lexicons/normalization.yaml): one-to-one character folding (NFKC, lower case,
traditional to simplified, look-alike characters), removal of noise characters inserted between
letters, then phrase forms (百分百 -> 100%). Pure: no I/O after the rules are loaded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from monitor.data_files import data_dir
from monitor.text.evasion import EvasionRestorer, EvasionRules
from monitor.text.normalization_schema import NormalizationFile
from monitor.text.offsets import Rewrite, delete_with_map, rewrite_spans, rewrite_with_map
from monitor.yaml_files import read_validated, read_yaml, validated

# Code points scanned when building tables: everything up to the CJK extension planes.
_SCAN_LIMIT = 0x2FFFF
_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF))


@dataclass(frozen=True)
class NormalizedText:
    """A normalised text and the rewrites that map it back to `original`."""

    original: str
    text: str
    rewrites: tuple[Rewrite, ...]
    # disguised words restored (evasion.py): (start, end, kind) in `text`
    restored: tuple[tuple[int, int, str], ...] = ()

    def restored_kind(self, start: int, end: int) -> str | None:
        """How a word inside [start, end) was disguised, if one was restored there."""
        return next((k for a, b, k in self.restored if a < end and start < b), None)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Offsets in `original` of the normalised span [start, end)."""
        for rewrite in reversed(self.rewrites):
            start, end = rewrite.old_start(start), rewrite.old_end(end)
        return start, end

    def spans_to_original(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """`to_original` of many spans at once (one vectorised pass per rewrite)."""
        if not spans or not self.rewrites:
            return list(spans)
        import numpy as np  # only here: most short texts have no rewrite (start-up time)

        starts = np.fromiter((s for s, _ in spans), dtype=np.int64, count=len(spans))
        ends = np.fromiter((e for _, e in spans), dtype=np.int64, count=len(spans))
        for rewrite in reversed(self.rewrites):
            starts, ends = rewrite.old_starts_of(starts), rewrite.old_ends_of(ends)
        return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _traditional_to_simplified_table() -> dict[int, str]:
    import opencc  # only while the tables are built, not in a checker loaded from its cache

    converter = opencc.OpenCC("t2s")
    chars = [chr(cp) for low, high in _CJK_RANGES for cp in range(low, high + 1)]
    converted = converter.convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # OpenCC merged a line: fall back to one call per character
        converted = [converter.convert(c) for c in chars]
    return {ord(c): s for c, s in zip(chars, converted, strict=True) if len(s) == 1 and s != c}


def _fold_char(c: str, t2s: dict[int, str], char_map: dict[str, str]) -> str:
    folded = unicodedata.normalize("NFKC", c)
    folded = folded.lower() if len(folded.lower()) == len(folded) else folded
    folded = "".join(t2s.get(ord(ch), ch) for ch in folded)
    return "".join(char_map.get(ch, ch) for ch in folded)


@lru_cache(maxsize=1)
def _base_tables() -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """(one-to-one folding, expansions to several characters, t2s) before the data char map."""
    t2s = _traditional_to_simplified_table()
    one_to_one: dict[int, str] = {}
    expanding: dict[int, str] = {}
    for cp in range(0x80, _SCAN_LIMIT + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if cp not in t2s and unicodedata.is_normalized("NFKC", c) and c.lower() == c:
            continue  # the common case, decided without building the folded form
        folded = _fold_char(c, t2s, {})
        if folded == c:
            continue
        if len(folded) == 1:
            one_to_one[cp] = folded
        elif folded:
            expanding[cp] = folded
    for cp in range(ord("A"), ord("Z") + 1):
        one_to_one[cp] = chr(cp).lower()
    return one_to_one, expanding, t2s


_NOISE_MARK = "\x01"  # every noise character is folded to this one, so the noise regex stays simple


def _noise_code_points(table: dict[int, str], categories: set[str], keep: set[str]) -> list[int]:
    """Every code point that folds to a character of a noise category, except the kept ones."""
    noise = []
    for cp in range(_SCAN_LIMIT + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        folded = table.get(cp, chr(cp))
        if folded not in keep and unicodedata.category(folded) in categories:
            noise.append(cp)
    return noise


def _word_gap(before_folding: str, match: re.Match) -> str:
    """A noise run between latin letters or digits: a decimal point stays, anything else is a space."""
    original = before_folding[match.start() : match.end()]
    if (
        original == "."
        and match.string[match.start() - 1].isdigit()
        and match.string[match.end()].isdigit()
    ):
        return "."
    return " "


class Normalizer:
    """Compiled normalisation rules; `normalize` is pure and thread-safe."""

    def __init__(self, rules: dict, evasion: EvasionRules | None = None):
        one_to_one, expanding, t2s = _base_tables()
        char_map = {str(k): str(v) for k, v in (rules.get("char_map") or {}).items()}
        self.boundaries = frozenset(rules.get("boundaries", "。！？，；：!?,;:\n"))
        table = {cp: char_map.get(v, v) for cp, v in one_to_one.items()}
        for source, target in char_map.items():
            folded_target = _fold_char(target, t2s, {})
            table[ord(source)] = folded_target
            for cp, v in list(table.items()):
                if v == source:
                    table[cp] = folded_target
        self._table = table
        self._expanding = {
            chr(cp): "".join(table.get(ord(ch), ch) for ch in v) for cp, v in expanding.items()
        }
        self._expanding_pattern = (
            re.compile("[" + "".join(re.escape(c) for c in self._expanding) + "]")
            if self._expanding
            else None
        )
        keep = set(str(rules.get("keep_chars", "%"))) | set(self.boundaries)
        for cp in _noise_code_points(table, set(rules.get("noise_categories", [])), keep):
            table[cp] = _NOISE_MARK
        self._noise_pattern = re.compile(f"{_NOISE_MARK}+")
        self._word_gap_pattern = re.compile(f"(?<=[a-z0-9]){_NOISE_MARK}+(?=[a-z0-9])")
        self._expanding_chars = frozenset(self._expanding)
        self._phrase_pattern = None
        self._evasion: EvasionRestorer | None = None
        phrases = {
            self.normalize(str(k)).text: self.normalize(str(v)).text
            for k, v in (rules.get("phrase_map") or {}).items()
        }
        self._phrases = phrases
        self._phrase_pattern = (
            re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))
            if phrases
            else None
        )
        self._evasion = (
            EvasionRestorer(evasion, lambda t: self.normalize(t, restore=False).text)
            if evasion
            else None
        )

    def sources_of(self, chars: str) -> str:
        """Every character that folds to one of `chars` (so "！" for "!"), including themselves."""
        wanted = set(chars)
        folded = {chr(cp) for cp, v in self._table.items() if v in wanted}
        return "".join(sorted(wanted | folded))

    def normalize(self, text: str, restore: bool = True) -> NormalizedText:
        """Normalise `text` for matching, keeping an exact offset map back to it. `restore=False`
        leaves spoken evasion alone: for the rules' own words, which say what they mean."""
        rewrites: list[Rewrite] = []
        current = text
        if not self._expanding_chars.isdisjoint(current):
            current, rewrite = rewrite_with_map(
                current, self._expanding_pattern, lambda m: self._expanding[m.group()]
            )
            rewrites.append(rewrite)
        folded_from = current
        current = current.translate(self._table)
        if _NOISE_MARK in current:
            current, gaps = rewrite_with_map(
                current, self._word_gap_pattern, lambda m: _word_gap(folded_from, m)
            )
            current, deleted = delete_with_map(current, self._noise_pattern)
            rewrites += [gaps, deleted]
        if self._phrase_pattern is not None:
            current, phrases = rewrite_with_map(
                current, self._phrase_pattern, lambda m: self._phrases[m.group()]
            )
            rewrites.append(phrases)
        restored: tuple[tuple[int, int, str], ...] = ()
        if restore and self._evasion is not None:
            found = self._evasion.restorations(current)
            if found:
                current, rewrite = rewrite_spans(current, [(a, b, stem) for a, b, stem, _ in found])
                rewrites.append(rewrite)
                restored = tuple(
                    (rewrite.new_starts[i], rewrite.new_ends[i], kind)
                    for i, (_, _, _, kind) in enumerate(found)
                )
        return NormalizedText(text, current, tuple(r for r in rewrites if r is not None), restored)


@lru_cache(maxsize=4)
def load_normalizer(path: Path | None = None) -> Normalizer:
    """The normaliser for the rules file (default: the shipped one) and the evasion rules beside
    it (evasion.yaml, when present), built once per process."""
    path = path or data_dir("lexicons") / "normalization.yaml"
    evasion_file = path.with_name("evasion.yaml")
    evasion = read_validated(evasion_file, EvasionRules) if evasion_file.exists() else None
    rules = read_yaml(path)
    validated(NormalizationFile, rules, str(path))  # the rules are used as read, once valid
    return Normalizer(rules, evasion)


__all__ = ["NormalizedText", "Normalizer", "load_normalizer"]

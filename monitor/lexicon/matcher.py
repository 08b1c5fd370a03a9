"""Multi-pattern matching of lexicon forms and whitelist phrases over normalised text.

One Aho-Corasick automaton (ahocorasick_rs, ~15x faster than pyahocorasick on CJK text with
thousands of terms, measured here) for every form of every entry, one over homophone keys, and one
for whitelist phrases and entry exceptions. Overlapping matches are all reported.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ahocorasick_rs import AhoCorasick, MatchKind

from monitor.lexicon.entries import Entry, WhitelistPhrase
from monitor.lexicon.variants import homophone_key, homophone_table, is_cjk_word, match_forms

_LATIN = re.compile(r"[a-z0-9]")


@dataclass(frozen=True)
class Candidate:
    entry: int  # index into the matcher's entries
    start: int
    end: int
    kind: str


class Automaton:
    """An Aho-Corasick automaton over `patterns` that pickles as its patterns and is rebuilt when
    loaded (milliseconds), so that a compiled checker can be kept on disk (checking/checker_cache.py)."""

    def __init__(self, patterns: Sequence[str]):
        self.patterns = list(patterns)
        self._automaton = AhoCorasick(self.patterns, matchkind=MatchKind.Standard)

    def __reduce__(self):
        return Automaton, (self.patterns,)

    def matches(self, text: str) -> list[tuple[int, int, int]]:
        """(pattern index, start, end) of every match, overlapping ones included."""
        return self._automaton.find_matches_as_indexes(text, overlapping=True)


def _automaton(patterns: Sequence[str]) -> Automaton | None:
    return Automaton(patterns) if patterns else None


def _on_latin_boundaries(text: str, start: int, end: int, pattern: str) -> bool:
    """A form that begins or ends with a latin letter or digit must not sit inside a latin word."""
    if _LATIN.match(pattern[0]) and start > 0 and _LATIN.match(text[start - 1]):
        return False
    return not (_LATIN.match(pattern[-1]) and end < len(text) and _LATIN.match(text[end]))


class LexiconMatcher:
    """Finds every candidate occurrence of every entry; context filters come afterwards."""

    def __init__(
        self,
        entries: Sequence[Entry],
        normalize: Callable[[str], str],
        generated: dict,
        min_same_ratio: float,
    ):
        owners: dict[str, list[tuple[int, str]]] = {}
        for index, entry in enumerate(entries):
            for form in match_forms(entry, normalize, generated):
                owners.setdefault(form.pattern, []).append((index, form.kind))
        self._patterns = list(owners)
        self._owners = [owners[p] for p in self._patterns]
        self._automaton = _automaton(self._patterns)
        self._terms = [normalize(e.term) for e in entries]
        self._min_same_ratio = min_same_ratio
        min_length = int((generated.get("homophone") or {}).get("min_term_length", 3))
        keys: dict[str, list[int]] = {}
        for index, term in enumerate(self._terms):
            if (
                entries[index].lang == "zh"
                and not entries[index].pattern
                and len(term) >= min_length
                and is_cjk_word(term)
            ):
                keys.setdefault(homophone_key(term), []).append(index)
        self._homophone_patterns = list(keys)
        self._homophone_owners = [keys[k] for k in self._homophone_patterns]
        self._homophone_automaton = _automaton(self._homophone_patterns)
        self._homophone_table = homophone_table()  # kept: a loaded checker needs no pypinyin

    def candidates(self, text: str) -> list[Candidate]:
        found: list[Candidate] = []
        exact_spans: set[tuple[int, int, int]] = set()
        if self._automaton is not None:
            for pattern_index, start, end in self._automaton.matches(text):
                pattern = self._patterns[pattern_index]
                if not _on_latin_boundaries(text, start, end, pattern):
                    continue
                for entry, kind in self._owners[pattern_index]:
                    found.append(Candidate(entry, start, end, kind))
                    exact_spans.add((entry, start, end))
        if self._homophone_automaton is not None:
            keyed = text.translate(self._homophone_table)
            for key_index, start, end in self._homophone_automaton.matches(keyed):
                for entry in self._homophone_owners[key_index]:
                    if (entry, start, end) in exact_spans:
                        continue
                    if (
                        self._same_ratio(self._terms[entry], text[start:end])
                        >= self._min_same_ratio
                    ):
                        found.append(Candidate(entry, start, end, "homophone"))
        return found

    @staticmethod
    def _same_ratio(term: str, seen: str) -> float:
        same = sum(1 for a, b in zip(term, seen, strict=True) if a == b)
        return same / len(term)


@dataclass(frozen=True)
class Cover:
    start: int
    end: int
    owner: int | None  # entry index for an entry's exception, None for the global whitelist


class WhitelistMatcher:
    """Finds whitelist phrases and entry exceptions; a phrase suppresses the hits it covers."""

    def __init__(
        self,
        phrases: Sequence[WhitelistPhrase],
        entries: Sequence[Entry],
        normalize: Callable[[str], str],
    ):
        owners: dict[str, list[int | None]] = {}
        for phrase in phrases:
            if not phrase.is_regex:
                owners.setdefault(normalize(phrase.phrase), []).append(None)
        for index, entry in enumerate(entries):
            for exception in entry.exceptions:
                owners.setdefault(normalize(exception), []).append(index)
        self._patterns = [p for p in owners if p]
        self._owners = [owners[p] for p in self._patterns]
        self._longest = max((len(p) for p in self._patterns), default=0)
        self._automaton = _automaton(self._patterns)

    def covers(self, text: str) -> list[Cover]:
        """Every occurrence in `text`, sorted by start."""
        if self._automaton is None:
            return []
        covers = [
            Cover(start, end, owner)
            for index, start, end in self._automaton.matches(text)
            for owner in self._owners[index]
        ]
        covers.sort(key=lambda c: c.start)
        return covers

    def is_covered(self, covers: list[Cover], starts: list[int], candidate: Candidate) -> bool:
        """Whether a global phrase or one of the candidate's own exceptions covers it."""
        i = bisect_right(starts, candidate.start) - 1
        while i >= 0 and covers[i].start >= candidate.start - self._longest:
            cover = covers[i]
            if cover.end >= candidate.end and cover.owner in (None, candidate.entry):
                return True
            i -= 1
        return False

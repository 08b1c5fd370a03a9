"""Terms written wholly or partly in pinyin: "zui di jia", "专家tui jian", "kai过guang".

A clause that contains latin letters is turned into one stream of letters, each Chinese character
replaced by its toneless pinyin, and the terms' pinyin is matched in it on syllable boundaries.
Only clauses with latin letters are streamed (most Chinese text has none), and only matches that
contain at least one written latin letter count: all-character homophones are matcher.py's job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ahocorasick_rs import AhoCorasick, MatchKind

from .lexicon import Entry
from .matcher import Candidate
from .variants import is_cjk_word, syllable_of, syllables

_CLAUSE_WITH_LATIN = re.compile(r"[^。！？，；：!?,;:\n…]*[a-z][^。！？，；：!?,;:\n…]*")


class PinyinStreamMatcher:
    def __init__(self, entries: Sequence[Entry], terms: Sequence[str], min_term_length: int):
        owners: dict[str, list[int]] = {}
        for index, (entry, term) in enumerate(zip(entries, terms, strict=True)):
            if entry.lang == "zh" and len(term) >= min_term_length and is_cjk_word(term):
                owners.setdefault("".join(syllables(term)), []).append(index)
        self._patterns = list(owners)
        self._owners = [owners[p] for p in self._patterns]
        self._automaton = (
            AhoCorasick(self._patterns, matchkind=MatchKind.Standard) if self._patterns else None
        )
        self._syllable = syllable_of()

    def candidates(self, text: str) -> list[Candidate]:
        if self._automaton is None:
            return []
        found = []
        for clause in _CLAUSE_WITH_LATIN.finditer(text):
            found.extend(self._clause_candidates(text, clause.start(), clause.end()))
        return found

    def _clause_candidates(self, text: str, lo: int, hi: int) -> list[Candidate]:
        letters: list[str] = []
        source: list[int] = []  # text index of each letter
        starts: set[int] = set()  # letter positions where a syllable or latin word starts
        ends: set[int] = set()  # letter positions just after a syllable or latin word
        latin: list[bool] = []
        for i in range(lo, hi):
            char = text[i]
            if "a" <= char <= "z":
                if not (letters and latin[-1] and source[-1] == i - 1):
                    starts.add(len(letters))
                    ends.add(len(letters))
                letters.append(char)
                source.append(i)
                latin.append(True)
                continue
            ends.add(len(letters))
            syllable = self._syllable.get(ord(char))
            if syllable:
                starts.add(len(letters))
                letters.extend(syllable)
                source.extend([i] * len(syllable))
                latin.extend([False] * len(syllable))
                ends.add(len(letters))
        ends.add(len(letters))
        stream = "".join(letters)
        found = []
        for index, start, end in self._automaton.find_matches_as_indexes(stream, overlapping=True):
            if start not in starts or end not in ends or not any(latin[start:end]):
                continue
            for entry in self._owners[index]:
                found.append(Candidate(entry, source[start], source[end - 1] + 1, "pinyin"))
        return found

"""Terms written wholly or partly in pinyin: "zui di jia", "专家tui jian", "kai过guang".

The text around each latin run is turned into one stream of letters, each Chinese character
replaced by its toneless pinyin, and the terms' pinyin is matched in it on syllable boundaries.
Only text near latin letters is streamed (most Chinese text has none), and only matches that
contain at least one written latin letter count: all-character homophones are matcher.py's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from monitor.lexicon.entries import Entry
from monitor.lexicon.matcher import Automaton, Candidate
from monitor.lexicon.variants import syllable_of, syllables


def _letters(form: str) -> str:
    """A term or variant as letters: characters as toneless pinyin, latin kept, spaces dropped."""
    pieces = []
    for run in re.findall(r"[a-z]+|[^a-z ]+", form):
        pieces.append(run if run.isascii() else "".join(syllables(run)))
    return "".join(pieces)


_CJK_OR_LATIN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fffa-z ]+$")
_HAS_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Letters around a latin run: a term of up to this many characters can mix with the run.
_REACH = 12
_LATIN_RUN = re.compile(r"[a-z]+(?: [a-z]+)*")
_CLAUSE_MARK = re.compile(r"[。！？，；：!?,;:\n…]")


class PinyinStreamMatcher:
    """Matches each Chinese term, and each variant that mixes characters and latin ("加我vx"),
    in the letter stream around latin runs."""

    def __init__(self, entries: Sequence[Entry], normalize: Callable[[str], str], min_length: int):
        owners: dict[str, list[int]] = {}
        for index, entry in enumerate(entries):
            if entry.lang != "zh" or entry.pattern:
                continue
            for form in {normalize(entry.term), *(normalize(v) for v in entry.variants)}:
                if len(form) >= min_length and _CJK_OR_LATIN.match(form) and _HAS_CJK.search(form):
                    indexes = owners.setdefault(_letters(form), [])
                    if index not in indexes:
                        indexes.append(index)
        self._patterns = list(owners)
        self._owners = [owners[p] for p in self._patterns]
        self._automaton = Automaton(self._patterns) if self._patterns else None
        self._syllable = syllable_of()

    def candidates(self, text: str) -> list[Candidate]:
        if self._automaton is None:
            return []
        found, windows = [], []
        for run in _LATIN_RUN.finditer(text):
            lo, hi = max(0, run.start() - _REACH), min(len(text), run.end() + _REACH)
            if windows and lo <= windows[-1][1]:
                windows[-1][1] = hi
            else:
                windows.append([lo, hi])
        for lo, hi in windows:
            # a window stops at clause marks: a term never crosses one
            for piece in _CLAUSE_MARK.split(text[lo:hi]):
                found.extend(self._clause_candidates(text, lo, lo + len(piece)))
                lo += len(piece) + 1
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
        for index, start, end in self._automaton.matches(stream):
            if start not in starts or end not in ends or not any(latin[start:end]):
                continue
            for entry in self._owners[index]:
                found.append(Candidate(entry, source[start], source[end - 1] + 1, "pinyin"))
        return found

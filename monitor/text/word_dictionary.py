"""jieba's word dictionary and its segmentation without HMM, in a form that loads in milliseconds,
so that a checker loaded from its cache (checking/checker_cache.py) judges word boundaries without
importing jieba or building its 500,000-entry dictionary (seconds).

`token_ends` cuts as `jieba.Tokenizer.cut(text, HMM=False)` does (jieba 0.42: the same blocks, word
graph, arithmetic and grouping of latin letters); tests/test_word_dictionary.py compares the two on
real text. Pickled, the words are one sorted string with offsets; a word is found by bisection
until `MATERIALIZE_AFTER` lookups (a long text) turn them into a dict, as fast as jieba's own.
"""

from __future__ import annotations

import re
import threading
from array import array
from bisect import bisect_left
from itertools import accumulate, pairwise
from math import log

_BLOCK = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)")  # jieba's re_han_default
_SKIP = re.compile(r"(\r\n|\s)")  # jieba's re_skip_default
_LATIN = re.compile("[a-zA-Z0-9]")  # jieba's re_eng
MATERIALIZE_AFTER = 20_000  # distinct lookups by bisection before the words become a dict
_MISSING = object()


class _SortedWords:
    """The i-th of the sorted words, all kept in one string: a sequence `bisect` can search."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str, starts: array):
        self._text, self._starts = text, starts

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, index: int) -> str:
        return self._text[self._starts[index] : self._starts[index + 1]]


class WordDictionary:
    """Words with their frequencies (0 for a prefix that is no word) and the total, as jieba's
    `Tokenizer.FREQ` and `Tokenizer.total`; `token_ends` is pure and thread-safe."""

    def __init__(self, frequencies: dict[str, int], total: int):
        self.total = total
        self._dict: dict[str, int] | None = frequencies  # kept, not copied
        self._sorted: _SortedWords | None = None
        self._counts: array | None = None
        self._memo: dict[str, int | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def _from_sorted(cls, text: str, starts: array, counts: array, total: int) -> WordDictionary:
        dictionary = cls({}, total)
        dictionary._dict = None
        dictionary._sorted, dictionary._counts = _SortedWords(text, starts), counts
        return dictionary

    def __reduce__(self):
        if self._dict is None:
            sorted_words, counts = self._sorted, self._counts
            text, starts = sorted_words._text, sorted_words._starts
        else:
            words = sorted(self._dict)
            text = "".join(words)
            starts = array("q", accumulate(map(len, words), initial=0))
            counts = array("q", map(self._dict.__getitem__, words))
        return WordDictionary._from_sorted, (text, starts, counts, self.total)

    def get(self, word: str) -> int | None:
        """The word's frequency, 0 for a prefix of a word, None for neither."""
        if self._dict is not None:
            return self._dict.get(word)
        found = self._memo.get(word, _MISSING)
        if found is _MISSING:
            found = self._bisect(word)
            self._memo[word] = found
            if len(self._memo) > MATERIALIZE_AFTER:
                self._materialize()
        return found

    def _bisect(self, word: str) -> int | None:
        words = self._sorted
        index = bisect_left(words, word)
        return self._counts[index] if index < len(words) and words[index] == word else None

    def _materialize(self) -> None:
        with self._lock:
            if self._dict is None:
                text, starts = self._sorted._text, self._sorted._starts
                words = (text[a:b] for a, b in pairwise(starts))
                self._dict = dict(zip(words, self._counts, strict=True))

    def token_ends(self, text: str) -> tuple[int, ...]:
        """Where each token of `jieba.cut(text, HMM=False)` ends, as offsets into `text`."""
        ends: list[int] = []
        position = 0
        for block in _BLOCK.split(text):
            if not block:
                continue
            if _BLOCK.match(block):
                lengths = self._block_lengths(block)
            else:
                lengths = []
                for piece in _SKIP.split(block):
                    if _SKIP.match(piece):
                        lengths.append(len(piece))
                    else:
                        lengths.extend([1] * len(piece))
            for length in lengths:
                position += length
                ends.append(position)
        return tuple(ends)

    def _block_lengths(self, sentence: str) -> list[int]:
        """jieba's `__cut_DAG_NO_HMM`: the most probable path through the word graph; runs of
        single latin letters and digits are one token."""
        get = self.get
        size = len(sentence)
        graph = []
        for start in range(size):
            ends = []
            end = start
            fragment = sentence[start]
            while end < size:
                count = get(fragment)
                if count is None:
                    break
                if count:
                    ends.append(end)
                end += 1
                fragment = sentence[start : end + 1]
            graph.append(ends or [start])
        route: list[tuple[float, int]] = [(0, 0)] * (size + 1)
        log_total = log(self.total)
        for index in range(size - 1, -1, -1):
            route[index] = max(
                (log(get(sentence[index : x + 1]) or 1) - log_total + route[x + 1][0], x)
                for x in graph[index]
            )
        lengths: list[int] = []
        latin_run = 0
        x = 0
        while x < size:
            y = route[x][1] + 1
            if y - x == 1 and _LATIN.match(sentence[x]):
                latin_run += 1
            else:
                if latin_run:
                    lengths.append(latin_run)
                    latin_run = 0
                lengths.append(y - x)
            x = y
        if latin_run:
            lengths.append(latin_run)
        return lengths

"""Whether a matched term is a word of its sentence or a piece of a longer word (第一 in 第一次).

jieba's segmentation (text/word_dictionary.py) cuts only a small window around each candidate (it is
~200x slower than the automaton), with the lexicon's terms in its dictionary so that it knows them
as words. jieba itself is imported only to build that dictionary; a judge loaded from the checker
cache needs neither jieba nor its loading time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import lru_cache

from monitor.text.word_dictionary import WordDictionary


def jieba_dictionary(terms: Iterable[str]) -> WordDictionary:
    """jieba's default dictionary with `terms` added as words, as `jieba.add_word` adds them."""
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for term in terms:
        tokenizer.add_word(term)
    return WordDictionary(tokenizer.FREQ, tokenizer.total)


class WordBoundaryJudge:
    """Keeps matches that start on a word boundary and do not end inside a word that starts with them."""

    def __init__(
        self, terms: Iterable[str], window: int = 8, dictionary: WordDictionary | None = None
    ):
        self._window = window
        self._dictionary = jieba_dictionary(terms) if dictionary is None else dictionary
        self._token_ends = lru_cache(maxsize=65536)(self._dictionary.token_ends)

    def __reduce__(self):
        return WordBoundaryJudge, ((), self._window, self._dictionary)

    def keeps(
        self, text: str, start: int, end: int, clause: tuple[int, int], strict: bool = False
    ) -> bool:
        """Whether text[start:end] is a whole word (or leads a run of words) in its clause.

        Dropped: a token crossing `start` (神药 in 精神药物), or a token that begins at `start`
        and runs past `end` (第一 in 第一次). Kept: a token that begins inside the match and runs
        past it (最低价 in 最低/价格), since the term itself was cut there, not the text's word.
        With `strict` (a sound-alike match, which changed characters) that is dropped too: 保证售
        in 保证/售后 is no 保证瘦, 世界机 in 世界/机会 no 世界级.
        """
        lo = max(clause[0], start - self._window)
        hi = min(clause[1], end + self._window)
        ends = self._token_ends(text[lo:hi])
        token_start = 0
        for token_end in ends:
            a, b = lo + token_start, lo + token_end
            token_start = token_end
            if a < start < b:
                return False
            if a == start and b > end:
                return False
            if strict and start < a < end < b:
                return False
            if a >= end:
                break
        return True

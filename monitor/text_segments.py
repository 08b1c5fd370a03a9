"""Clauses and sentences of a normalised text, found once per check and looked up by bisection."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

SENTENCE_END = "。！？!?；;\n…"


@dataclass(frozen=True)
class TextSegments:
    """Sorted positions of clause marks and sentence ends in one normalised text."""

    clause_marks: tuple[int, ...]
    sentence_ends: tuple[int, ...]
    length: int

    @classmethod
    def of(
        cls, text: str, clause_pattern: re.Pattern, sentence_pattern: re.Pattern
    ) -> TextSegments:
        return cls(
            tuple(m.start() for m in clause_pattern.finditer(text)),
            tuple(m.start() for m in sentence_pattern.finditer(text)),
            len(text),
        )

    @staticmethod
    def _around(marks: tuple[int, ...], position: int, length: int) -> tuple[int, int]:
        i = bisect_right(marks, position)
        start = marks[i - 1] + 1 if i > 0 else 0
        end = marks[i] if i < len(marks) else length
        return start, end

    def clause_of(self, position: int) -> tuple[int, int]:
        """[start, end) of the clause holding `position`, without its closing mark."""
        return self._around(self.clause_marks, position, self.length)

    def sentence_of(self, position: int) -> tuple[int, int]:
        """[start, end) of the sentence holding `position`, without its closing mark."""
        return self._around(self.sentence_ends, position, self.length)

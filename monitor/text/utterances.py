"""Where the sentences, clauses and utterances of a text begin and end. Pure.

- `TextSegments`: clauses and sentences of a normalised text, found once per check and looked up
  by bisection (the lexicon detector's negation and context windows).
- `split_utterances`: utterances, the unit the classifier judges, fit for ASR text without
  punctuation: sentence marks end an utterance; pauses (runs of spaces, which ASR and caption text
  use between phrases), commas and discourse markers (家人们, 然后, 对吧) end one once it is long
  enough; nothing runs past a maximum length.
- `Utterances`: what was said up to a sentence end or the end of a caption line, the unit of one
  stored flag.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
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


_HARD = re.compile(r"[。！？!?；;\n…]+")
_SOFT = re.compile(r"[ \t\u3000，,、：:]+")
# Words that open a new utterance in livestream speech; a cut goes just before them.
_OPENERS = re.compile(
    r"(家人们|宝宝们|姐妹们|兄弟们|宝子们|朋友们|老铁们|然后|接下来|来来来|好了|那么|所以说|我跟你们说|你们看)"
)
_CLOSERS = re.compile(r"(对吧|对不对|好吧|是吧|懂吧|知道吧|好不好|吗|呢|啊|哦|呀|啦)")


@dataclass(frozen=True)
class UtteranceRules:
    """Lengths in characters."""

    min_length: int = 8  # a soft cue ends an utterance only once it is this long
    max_length: int = 48  # an utterance longer than this is cut at the best cue inside it


_CUES = re.compile(
    f"(?P<soft>{_SOFT.pattern})|(?P<opener>{_OPENERS.pattern})|(?P<closer>{_CLOSERS.pattern})"
)


def _cue_positions(text: str) -> list[int]:
    """Sorted positions where a pause, comma or closer ends, or an opener starts: one regex pass
    over the whole text (the cues never contain a sentence mark, so no cue crosses a block)."""
    positions = {m.start() if m.lastgroup == "opener" else m.end() for m in _CUES.finditer(text)}
    return sorted(positions)


def split_utterances(text: str, rules: UtteranceRules = UtteranceRules()) -> list[tuple[int, int]]:
    """[start, end) spans covering every non-blank part of `text`, in order."""
    spans: list[tuple[int, int]] = []
    position = 0
    cues = _cue_positions(text)
    for match in [*_HARD.finditer(text), None]:
        block_end = match.end() if match else len(text)
        inside = cues[bisect_right(cues, position) : bisect_left(cues, block_end)]
        spans.extend(_split_block(text, position, block_end, inside, rules))
        position = block_end
    return [(s, e) for s, e in spans if text[s:e].strip(" \t\u3000\n，,、。！？!?；;…")]


def _split_block(
    text: str, start: int, end: int, cuts: list[int], rules: UtteranceRules
) -> list[tuple[int, int]]:
    spans = []
    current = start
    for i, cut in enumerate(cuts):
        long_enough = cut - current >= rules.min_length
        next_cut = cuts[i + 1] if i + 1 < len(cuts) else end
        too_long_next = next_cut - current > rules.max_length
        if long_enough and (
            too_long_next or _SOFT.match(text, cut - 1) or _OPENERS.match(text, cut)
        ):
            spans.append((current, cut))
            current = cut
    while end - current > rules.max_length:  # no cue at all: cut at the maximum length
        spans.append((current, current + rules.max_length))
        current += rules.max_length
    spans.append((current, end))
    return spans


_UTTERANCE_END = re.compile(r"[。！？!?\n]+")


class Utterances:
    """The utterances of a text: what was said up to a sentence end or the end of a caption
    line. Its ends are found once, so placing every hit of a long transcript stays linear."""

    def __init__(self, text: str):
        self._length = len(text)
        self._marks = [(m.start(), m.end(), m.group()) for m in _UTTERANCE_END.finditer(text)]
        self._mark_ends = [end for _, end, _ in self._marks]

    def around(self, position: int) -> tuple[int, int]:
        """[start, end) of the utterance holding `position`, its closing mark included."""
        index = bisect_right(self._mark_ends, position)  # the first mark ending after it
        start = self._mark_ends[index - 1] if index else 0
        if index == len(self._marks):
            return start, self._length
        mark_start, _, mark = self._marks[index]
        end = mark_start + len(mark.rstrip("\n"))  # a line break is no text
        return start, max(end, position + 1)

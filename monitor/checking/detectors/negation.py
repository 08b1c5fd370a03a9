"""Negated claims: "我们不说全网最低价", "这个不能治病". Cues and gaps are data (lexicons/context.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CueGroup:
    pattern: re.Pattern
    max_gap: int


class NegationRule:
    """Decides whether a candidate term is negated by a cue shortly before it in its clause."""

    def __init__(self, rules: dict, normalize):
        self._groups = tuple(
            CueGroup(_alternation([normalize(c) for c in group["cues"]]), int(group["max_gap"]))
            for group in rules.get("cue_groups", [])
        )
        self._breakers = tuple(normalize(b) for b in rules.get("gap_breakers", []))
        self._not_cues = _alternation([normalize(c) for c in rules.get("not_cues", [])])
        self._longest_cue = max(
            (len(p) for g in self._groups for p in g.pattern.pattern.split("|")), default=0
        )
        after = rules.get("after_cues") or {}
        self._after = _alternation([normalize(c) for c in after.get("cues", [])])
        self._after_gap = int(after.get("max_gap", 0))

    def is_negated(
        self, text: str, clause_start: int, term_start: int, max_gap: int | None = None
    ) -> bool:
        """Whether a cue in text[clause_start:term_start] negates the term starting at term_start
        (with `max_gap`, no cue reaches further than that many characters)."""
        for group in self._groups:
            reach = group.max_gap if max_gap is None else min(group.max_gap, max_gap)
            window_start = max(clause_start, term_start - reach - self._longest_cue)
            window = text[window_start:term_start]
            for cue in group.pattern.finditer(window):
                gap = window[cue.end() :]
                if len(gap) > reach or any(b in gap for b in self._breakers):
                    continue
                if self._inside_not_cue(window, cue.start(), cue.end()):
                    continue
                return True
        return False

    def is_rejected_after(self, text: str, term_end: int, clause_end: int) -> bool:
        """Whether a cue right after the term rejects it ("全网最低价这种话我们不说")."""
        window = text[term_end : min(clause_end, term_end + self._after_gap + 8)]
        return any(
            cue.start() <= self._after_gap
            and not any(b in window[: cue.start()] for b in self._breakers)
            for cue in self._after.finditer(window)
        )

    def _inside_not_cue(self, window: str, start: int, end: int) -> bool:
        return any(m.start() <= start < m.end() for m in self._not_cues.finditer(window))


def _alternation(words: list[str]) -> re.Pattern:
    words = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in words) or r"(?!)")

"""Stretches of a sentence in which a claim is not made: reported and rejected ("有人说吃这个能降血糖
那是骗人的"), denied ("它不能治疗任何疾病"), or advice to see a doctor ("不舒服一定要去医院治疗").

A negation cue right before a term (negation.py) covers "不能治病"; a scope covers what a cue
governs further on, up to where it ends: a rejection cue, a contrast (但是, 而是), the clause end, or
a bounded length in unpunctuated ASR text. Claims inside a scope are cleared by the lexicon detector
and do not count as evidence for the classifier. Cues are data (lexicons/context.yaml, `scope:`).
Pure; compiled once.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

Span = tuple[int, int]


class _Reported(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cues: list[str] = Field(min_length=1)
    rejections: list[str] = Field(min_length=1)
    max_span: int = Field(gt=0)


class _Governing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cues: list[str] = Field(min_length=1)
    max_span: int = Field(gt=0)
    not_after: list[str] = []


class _Answered(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: list[str] = Field(min_length=1)
    max_span: int = Field(40, gt=0)
    after_question: list[str] = []  # regexes: a short "no" that rejects only a question


class ScopeRules(BaseModel):
    """The `scope:` section of context.yaml."""

    model_config = ConfigDict(extra="forbid")
    reported: _Reported
    answered: _Answered | None = None
    rejecting: _Governing
    denial: _Governing
    advice: _Governing
    breakers: list[str] = []
    # words that start a new clause in unpunctuated speech (你们, 家人们): a denial or advice ends there
    addressing: list[str] = []


@dataclass(frozen=True)
class Scopes:
    """Sorted, merged spans (normalised offsets) in which nothing said is a claim of the anchor's."""

    spans: tuple[Span, ...]

    def covers(self, start: int, end: int) -> bool:
        """Whether [start, end) lies wholly inside one scope."""
        i = bisect_right(self.spans, (start, float("inf"))) - 1
        return i >= 0 and self.spans[i][0] <= start and end <= self.spans[i][1]


def _alternation(words: list[str], normalize) -> re.Pattern:
    forms = sorted({normalize(w) for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in forms) or r"(?!)")


class ScopeFinder:
    def __init__(self, rules: ScopeRules, normalize, boundaries: str):
        self._reported = _alternation(rules.reported.cues, normalize)
        self._rejections = _alternation(rules.reported.rejections, normalize)
        self._reported_span = rules.reported.max_span
        self._rejecting = _alternation(rules.rejecting.cues, normalize)
        self._rejecting_span = rules.rejecting.max_span
        self._denial = _alternation(rules.denial.cues, normalize)
        self._denial_span = rules.denial.max_span
        self._denial_not_after = _alternation(rules.denial.not_after, normalize)
        self._advice = _alternation(rules.advice.cues, normalize)
        self._advice_span = rules.advice.max_span
        self._advice_not_after = _alternation(rules.advice.not_after, normalize)
        answered = rules.answered
        words = answered.answers if answered else []
        long_answers = _alternation([w for w in words if len(w) > 3], normalize).pattern
        short_answers = _alternation([w for w in words if len(w) <= 3], normalize).pattern
        # a short answer closes its clause: "不可能没效果" affirms, "不可能。" rejects
        self._answers = re.compile(
            f"(?:{long_answers})|(?:{short_answers})(?:的|啊|呀|哈|哦|了|吧)?(?=[{re.escape(boundaries)}]|$)"
        )
        self._answered_span = answered.max_span if answered else 0
        self._question_answers = re.compile(
            "|".join(f"(?:{p})" for p in answered.after_question)
            if answered and answered.after_question
            else r"(?!)"
        )
        self._breakers = _alternation(rules.breakers, normalize)
        self._clause_breakers = _alternation(rules.breakers + rules.addressing, normalize)
        self._sentence_end = re.compile("[" + re.escape("。！？!?；;\n…") + "]")
        self._clause_end = re.compile("[" + re.escape(boundaries) + "]")

    def find(self, text: str) -> Scopes:
        spans: list[Span] = []
        spans += self._reported_and_rejected(text)
        spans += self._answered(text)
        spans += self._governed(text, self._rejecting, self._rejecting_span, None, clause=False)
        spans += self._governed(text, self._denial, self._denial_span, self._denial_not_after)
        spans += self._governed(text, self._advice, self._advice_span, self._advice_not_after)
        return Scopes(_merged(spans))

    def _reported_and_rejected(self, text: str) -> list[Span]:
        """From a report cue to the end of a rejection that follows it in the same sentence."""
        found = []
        for cue in self._reported.finditer(text):
            limit = self._end(text, cue.end(), self._reported_span, self._sentence_end, False)
            # the rejection may close the sentence after the limit, but must start before it
            rejection = self._rejections.search(text, cue.end(), limit + 12)
            sentence_end = self._sentence_end.search(text, cue.end())
            if rejection and (sentence_end is None or rejection.start() < sentence_end.start()):
                found.append((cue.start(), rejection.end()))
        return found

    def _answered(self, text: str) -> list[Span]:
        """A clause rejected by what opens the next one ("戴珍珠能稳血压，没有的事"), and a question
        answered no ("能预防老年痴呆吗？没有证据", "能治咽炎吗 不能的"): the clause before the mark."""
        found = []
        for mark in self._clause_end.finditer(text):
            answer = self._answers.match(text, mark.end())
            if answer is None and mark.group() in "?？":
                answer = self._question_answers.match(text, mark.end())
            if answer is None:
                continue
            # back to the sentence start: a claim listed over several clauses is rejected whole
            floor = max(0, mark.start() - self._answered_span)
            before = list(self._sentence_end.finditer(text, floor, mark.start()))
            start = before[-1].end() if before else floor
            found.append((start, answer.end()))
        return found

    def _governed(
        self,
        text: str,
        cues: re.Pattern,
        max_span: int,
        not_after: re.Pattern | None,
        clause: bool = True,
    ) -> list[Span]:
        """From each cue (itself no claim: "看医生", "别加") to the end of what it governs."""
        found = []
        for cue in cues.finditer(text):
            if not_after is not None and not_after.search(
                text, max(0, cue.start() - 4), cue.start()
            ):
                continue  # "比去医院输液快": a comparison, not advice
            end = self._end(text, cue.end(), max_span, self._clause_end, clause)
            found.append((cue.start(), max(end, cue.end())))
        return found

    def _end(self, text: str, start: int, max_span: int, boundary: re.Pattern, clause: bool) -> int:
        end = min(len(text), start + max_span)
        stop = (self._clause_end if clause else self._sentence_end).search(text, start, end)
        if stop:
            end = stop.start()
        breaker = (self._clause_breakers if clause else self._breakers).search(text, start, end)
        if breaker:
            end = breaker.start()
        return end


def _merged(spans: list[Span]) -> tuple[Span, ...]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((a, b) for a, b in merged)

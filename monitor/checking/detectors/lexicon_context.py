"""Why a lexicon match's context makes it compliant, or None when it is a claim: the whitelist,
an entry's exceptions, context an entry requires (a second price, a cue), the product class, a
negation or a denied scope, and word boundaries a short term must not cut. Pure; compiled once
per lexicon, safe from many threads. Finding the matches is checking/detectors/lexicon.py."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

from monitor.checking.detectors.negation import NegationRule
from monitor.checking.detectors.scope import ScopeFinder, ScopeRules, Scopes
from monitor.lexicon.entries import Entry, WhitelistPhrase
from monitor.lexicon.matcher import Candidate, WhitelistMatcher
from monitor.text.normalization import NormalizedText
from monitor.text.prices import largest_gap
from monitor.text.utterances import SENTENCE_END, TextSegments
from monitor.text.word_boundaries import WordBoundaryJudge
from monitor.yaml_files import validated


class ContextJudge:
    """The context rules of one lexicon (context.yaml), compiled."""

    def __init__(
        self,
        entries: Sequence[Entry],
        whitelist: Sequence[WhitelistPhrase],
        terms: Sequence[str],
        normalize: Callable[[str], str],
        boundaries: Collection[str],
        context_rules: dict,
    ):
        self._terms = terms
        self._whitelist = WhitelistMatcher(whitelist, entries, normalize)
        self._negation = NegationRule(context_rules.get("negation") or {}, normalize)
        self._scopes = (
            ScopeFinder(
                validated(ScopeRules, context_rules["scope"], "context.yaml: scope"),
                normalize,
                "".join(sorted(boundaries)),
            )
            if context_rules.get("scope")
            else None
        )
        boundary = context_rules.get("word_boundary") or {}
        self._boundary_max_length = int(boundary.get("max_term_length", 3))
        self._boundaries = WordBoundaryJudge(
            (t for t in terms if len(t) <= self._boundary_max_length),
            window=int(boundary.get("window", 8)),
        )
        self._clause_pattern = re.compile("[" + re.escape("".join(sorted(boundaries))) + "]")
        self._sentence_pattern = re.compile("[" + re.escape(SENTENCE_END) + "]")
        self._regex_exceptions = {
            i: tuple(re.compile(p) for p in e.regex_exceptions)
            for i, e in enumerate(entries)
            if e.regex_exceptions
        }
        self._class_cues = {
            cls: re.compile("|".join(re.escape(normalize(c)) for c in cues))
            for cls, cues in (context_rules.get("product_class_cues") or {}).items()
        }
        self._regex_whitelist = tuple(re.compile(w.phrase) for w in whitelist if w.is_regex)
        self.min_price_gap = float((context_rules.get("price_gap") or {}).get("min_ratio", 3.0))
        self._required_context = {
            i: tuple(re.compile(p) for p in e.requires_context)
            for i, e in enumerate(entries)
            if e.requires_context
        }

    def segments(self, norm: str) -> TextSegments:
        """The clauses and sentences of a normalised text."""
        return TextSegments.of(norm, self._clause_pattern, self._sentence_pattern)

    def covers(self, norm: str) -> list:
        """Where whitelist phrases cover the text, in order."""
        return self._whitelist.covers(norm)

    def scopes(self, norm: str) -> Scopes:
        """Denied, rejected or advice stretches of the text: no claim is made there."""
        return self._scopes.find(norm) if self._scopes is not None else Scopes(())

    def negated(self, norm: str, segments: TextSegments, start: int, end: int) -> bool:
        """Whether words at [start, end) are negated right before ("不消炎") or rejected right
        after ("微信我们不加"): evidence for the classifier. Only a cue touching the words counts,
        since a claim's evidence is a phrase, and "腿也不疼了关节也好了" negates no 关节."""
        clause = segments.clause_of(start)
        return self._negation.is_negated(
            norm, clause[0], start, max_gap=0
        ) or self._negation.is_rejected_after(norm, end, clause[1])

    def reason(
        self,
        candidate: Candidate,
        entry: Entry,
        norm: str,
        segments: TextSegments,
        covers: list,
        cover_starts: list[int],
        scopes: Scopes,
        disguised: bool = False,
    ) -> str | None:
        """Why the context makes this match compliant, or None when it is a claim. A term that is
        lawful when true and so needs context (最后三单) needs none when it is spelled to get past a
        filter (最🔥后🔥三🔥单, zui hou san dan): the disguise shows the speaker knows."""
        if self._whitelist.is_covered(covers, cover_starts, candidate):
            return "whitelist"
        clause = segments.clause_of(candidate.start)
        clause_text = norm[clause[0] : clause[1]]
        local = (candidate.start - clause[0], candidate.end - clause[0])
        for pattern in (*self._regex_exceptions.get(candidate.entry, ()), *self._regex_whitelist):
            if any(
                m.start() <= local[0] and m.end() >= local[1] for m in pattern.finditer(clause_text)
            ):
                return "exception"
        sentence = segments.sentence_of(candidate.start)
        required = self._required_context.get(candidate.entry)
        context_shown = bool(required) and any(
            p.search(norm, sentence[0], sentence[1]) for p in required
        )
        if required and not context_shown and not disguised:
            return "context"
        if (
            entry.needs == "price_gap"
            and largest_gap(norm[sentence[0] : sentence[1]]) < self.min_price_gap
        ):
            return "context"
        for product_class in entry.exempt_for:
            cue = self._class_cues.get(product_class)
            if cue is not None and cue.search(norm, sentence[0], sentence[1]):
                return "product_class"
        if entry.negatable and (
            self._negation.is_negated(norm, clause[0], candidate.start)
            or self._negation.is_rejected_after(norm, candidate.end, clause[1])
            or scopes.covers(candidate.start, candidate.end)
        ):
            return "negated"
        term = self._terms[candidate.entry]
        short_word = (
            entry.lang == "zh" and not entry.pattern and len(term) <= self._boundary_max_length
        )
        if short_word and not self._boundaries.keeps(norm, candidate.start, candidate.end, clause):
            return "word"
        if candidate.kind == "homophone" and not self._boundaries.keeps(
            norm, candidate.start, candidate.end, clause, strict=True
        ):
            return "word"  # a sound-alike that cuts the text's own word (保证售后)
        return None


_WRITTEN_DISGUISES = frozenset({"pinyin", "initials"})


def written_disguise(normalized: NormalizedText, candidate: Candidate) -> bool:
    """Whether the words were written to dodge a filter: in pinyin, or with symbols between their
    characters (最*后*五*单). ASR never writes either, so real speech is not affected."""
    if candidate.kind in _WRITTEN_DISGUISES:
        return True
    start, end = normalized.to_original(candidate.start, candidate.end)
    said = normalized.original[start:end]
    return len(said) > candidate.end - candidate.start and any(
        not ("\u4e00" <= c <= "\u9fff" or c.isalnum() or c.isspace() or c in _PAUSES) for c in said
    )


_PAUSES = "，。、！？,.!?;；：:…~～"  # a pause in speech or a transcript is no disguise

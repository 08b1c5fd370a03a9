"""The lexicon detector: match every form of every entry, drop what context makes compliant, and
turn the rest into hits. Pure over a normalised text; compiled once, safe from many threads.
Registered first (detectors.py): the detectors after it read its findings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .detector import CheckContext, DetectorSetup, in_text_order
from .lexicon import Entry, Lexicon, read_yaml, validated
from .matcher import Candidate, LexiconMatcher, WhitelistMatcher
from .negation import NegationRule
from .normalization import NormalizedText, Normalizer
from .pinyin_stream import PinyinStreamMatcher
from .prices import largest_gap
from .profiles import Profile
from .report import Hit
from .scope import ScopeFinder, ScopeRules, Scopes
from .scoring import ScoringRules
from .utterances import SENTENCE_END, TextSegments
from .word_boundaries import WordBoundaryJudge

# Reasons that say the words are there but the context makes them no claim; a missing required
# context ("原价" without a second price) clears nothing.
# A match that cuts a word ("word") clears nothing either: the term is simply not there.
CLEARING_REASONS = frozenset({"whitelist", "exception", "product_class", "negated"})


@dataclass(frozen=True)
class LexiconFindings:
    hits: list[Hit]
    cleared: tuple[tuple[int, int, str], ...]  # normalised [start, end) and category
    innocent: tuple[tuple[int, int], ...]  # normalised spans of global whitelist phrases
    scopes: Scopes = field(
        default_factory=lambda: Scopes(())
    )  # denied, rejected or advice stretches: no claim is made there
    segments: TextSegments | None = None  # clauses and sentences of the normalised text


class LexiconDetector:
    """A compiled lexicon with its context rules."""

    name = "lexicon"

    def __init__(
        self,
        lexicon: Lexicon,
        normalizer: Normalizer,
        context_rules: dict,
        scoring: ScoringRules,
        generated: dict,
    ):
        self.lexicon = lexicon
        self._normalizer = normalizer
        self._scoring = scoring
        self._entries: tuple[Entry, ...] = lexicon.entries
        normalize = self.normalize_term
        self._terms = [normalize(e.term) for e in self._entries]
        homophone = context_rules.get("homophone") or {}
        self._matcher = LexiconMatcher(
            self._entries, normalize, generated, float(homophone.get("min_same_ratio", 0.34))
        )
        self._pinyin = PinyinStreamMatcher(
            self._entries, normalize, int((generated.get("pinyin") or {}).get("min_term_length", 2))
        )
        self._whitelist = WhitelistMatcher(lexicon.whitelist, self._entries, normalize)
        self._negation = NegationRule(context_rules.get("negation") or {}, normalize)
        self._scopes = (
            ScopeFinder(
                validated(ScopeRules, context_rules["scope"], "context.yaml: scope"),
                normalize,
                "".join(sorted(normalizer.boundaries)),
            )
            if context_rules.get("scope")
            else None
        )
        boundary = context_rules.get("word_boundary") or {}
        self._boundary_max_length = int(boundary.get("max_term_length", 3))
        self._boundaries = WordBoundaryJudge(
            (t for t in self._terms if len(t) <= self._boundary_max_length),
            window=int(boundary.get("window", 8)),
        )
        self._clause_pattern = re.compile(
            "[" + re.escape("".join(sorted(normalizer.boundaries))) + "]"
        )
        self._sentence_pattern = re.compile("[" + re.escape(SENTENCE_END) + "]")
        self._regex_exceptions = {
            i: tuple(re.compile(p) for p in e.regex_exceptions)
            for i, e in enumerate(self._entries)
            if e.regex_exceptions
        }
        self._class_cues = {
            cls: re.compile("|".join(re.escape(normalize(c)) for c in cues))
            for cls, cues in (context_rules.get("product_class_cues") or {}).items()
        }
        self._regex_whitelist = tuple(re.compile(w.phrase) for w in lexicon.whitelist if w.is_regex)
        self._patterns = tuple(
            (i, re.compile(e.pattern)) for i, e in enumerate(self._entries) if e.pattern
        )
        self.min_price_gap = float((context_rules.get("price_gap") or {}).get("min_ratio", 3.0))
        self._required_context = {
            i: tuple(re.compile(p) for p in e.requires_context)
            for i, e in enumerate(self._entries)
            if e.requires_context
        }

    def normalize_term(self, term: str) -> str:
        return self._normalizer.normalize(term, restore=False).text

    @property
    def normalizer(self) -> Normalizer:
        return self._normalizer

    def detect(self, context: CheckContext, found: Sequence[Hit]) -> list[Hit]:
        """`found` and the lexicon's hits, in text order."""
        return in_text_order([*found, *self.findings(context).hits])

    def findings(self, context: CheckContext) -> LexiconFindings:
        """What the lexicon found in the context's text, worked out once per check."""
        return context.shared(
            self.name,
            lambda: self.find(
                context.normalized,
                context.profile,
                context.product_class,
                with_facts=context.facts is not None,
            ),
        )

    def find(
        self,
        normalized: NormalizedText,
        profile: Profile,
        product_class: str | None,
        with_facts: bool = False,
    ) -> LexiconFindings:
        """Lexicon hits in `normalized` (offsets into its original text), and the claims the rules
        cleared in context (normalised offsets), which the classifier must not report either."""
        norm = normalized.text
        segments = TextSegments.of(norm, self._clause_pattern, self._sentence_pattern)
        covers = self._whitelist.covers(norm)
        cover_starts = [c.start for c in covers]
        scopes = self._scopes.find(norm) if self._scopes is not None else Scopes(())
        kept: list[tuple[Candidate, Entry]] = []
        cleared: list[tuple[int, int, str]] = []
        seen: set[tuple[int, int, int]] = set()
        for candidate in (
            self._matcher.candidates(norm) + self._pinyin.candidates(norm) + self._spoken(norm)
        ):
            key = (candidate.entry, candidate.start, candidate.end)
            if key in seen:
                continue
            seen.add(key)
            entry = profile.select(self._entries[candidate.entry])
            if entry is None or not entry.applies(product_class):
                continue
            if entry.needs == "facts" and not with_facts:
                continue  # lawful when true: judged against the product's record, if any
            reason = self._compliance_reason(
                candidate, entry, norm, segments, covers, cover_starts, scopes,
                _written_disguise(normalized, candidate),
            )  # fmt: skip
            if reason in CLEARING_REASONS:
                cleared.append((candidate.start, candidate.end, entry.category))
            if reason is None:
                kept.append((candidate, entry))
        innocent = tuple((c.start, c.end) for c in covers if c.owner is None)
        hits = self._hits(normalized, _without_repeats(kept))
        return LexiconFindings(hits, tuple(cleared), innocent, scopes, segments)

    def negated(self, norm: str, segments: TextSegments, start: int, end: int) -> bool:
        """Whether words at [start, end) are negated right before ("不消炎") or rejected right
        after ("微信我们不加"): evidence for the classifier. Only a cue touching the words counts,
        since a claim's evidence is a phrase, and "腿也不疼了关节也好了" negates no 关节."""
        clause = segments.clause_of(start)
        return self._negation.is_negated(
            norm, clause[0], start, max_gap=0
        ) or self._negation.is_rejected_after(norm, end, clause[1])

    def _spoken(self, norm: str) -> list[Candidate]:
        """Claims said in many words (一定有效果, 几分钟之后就不疼了): the pattern entries."""
        return [
            Candidate(index, m.start(), m.end(), "pattern")
            for index, pattern in self._patterns
            for m in pattern.finditer(norm)
            if m.end() > m.start()
        ]

    def _compliance_reason(
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

    def _hits(self, normalized: NormalizedText, kept: list[tuple[Candidate, Entry]]) -> list[Hit]:
        hits = []
        for candidate, entry in kept:
            start, end = normalized.to_original(candidate.start, candidate.end)
            category = self.lexicon.categories[entry.category]
            kind = normalized.restored_kind(candidate.start, candidate.end) or candidate.kind
            score = self._scoring.match_scores.get(kind, 0.8)
            hits.append(
                Hit(
                    start=start,
                    end=end,
                    text=normalized.original[start:end],
                    normalized=normalized.text[candidate.start : candidate.end],
                    category=entry.category,
                    category_name=category.zh,
                    severity=entry.severity,
                    source="lexicon",
                    rule=entry.id,
                    score=score,
                    basis=entry.basis,
                    explanation=entry.explanation,
                    suggestion=entry.suggestion,
                    rewording=entry.rewording or None,
                    match=kind,
                    term=entry.term,
                    blocking=self._scoring.blocks(entry.severity, score),
                )
            )
        hits.sort(key=lambda h: (h.start, -h.end, h.category))
        return hits


def build(setup: DetectorSetup) -> LexiconDetector:
    """The lexicon detector over the setup's lexicon and its folder's context rules."""
    folder = setup.lexicon_folder
    return LexiconDetector(
        lexicon=setup.lexicon,
        normalizer=setup.normalizer,
        context_rules=read_yaml(folder / "context.yaml"),
        scoring=setup.scoring,
        generated=read_yaml(folder / "normalization.yaml").get("generated") or {},
    )


def _without_repeats(kept: list[tuple[Candidate, Entry]]) -> list[tuple[Candidate, Entry]]:
    """One hit per entry and place; a hit inside a longer one is dropped when the longer one is of
    the same category or already cites its law (全网最 inside 全网最低价, which cites 第九条 too)."""
    kept = sorted(kept, key=lambda ce: (ce[0].start, -ce[0].end))
    result: list[tuple[Candidate, Entry]] = []
    for candidate, entry in kept:
        inside_longer = any(
            outer.start <= candidate.start
            and candidate.end <= outer.end
            and (outer.end - outer.start) >= (candidate.end - candidate.start)
            and (outer_entry.category == entry.category or entry.basis[0] in outer_entry.basis)
            for outer, outer_entry in result[-8:]  # only recent hits can still contain this one
            if (outer.start, outer.end, outer.entry)
            != (candidate.start, candidate.end, candidate.entry)
        )
        if not inside_longer:
            result.append((candidate, entry))
    return result


_WRITTEN_DISGUISES = frozenset({"pinyin", "initials"})


def _written_disguise(normalized: NormalizedText, candidate: Candidate) -> bool:
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

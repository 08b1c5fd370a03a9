"""The text check: normalise, match the lexicon, drop what context makes compliant, give a verdict.

`Checker` compiles the lexicon once; `Checker.check` is pure and safe to call from many threads.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from collections.abc import Iterable
from pathlib import Path

from .data_files import data_dir
from .lexicon import Entry, Lexicon, load_lexicon, read_yaml
from .matcher import Candidate, LexiconMatcher, WhitelistMatcher
from .negation import NegationRule
from .normalization import NormalizedText, Normalizer, load_normalizer
from .pinyin_stream import PinyinStreamMatcher
from .profiles import Profile, find_profile, load_profiles
from .report import Hit, Report, SentenceVerdict
from .scoring import ScoringRules
from .text_segments import SENTENCE_END, TextSegments
from .word_boundaries import WordBoundaryJudge


class Checker:
    """A compiled lexicon with its context rules; build once, call `check` many times."""

    def __init__(
        self,
        lexicon: Lexicon,
        profiles: dict[str, Profile],
        normalizer: Normalizer,
        context_rules: dict,
        scoring: ScoringRules,
        generated: dict,
    ):
        self.lexicon = lexicon
        self.profiles = profiles
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
        # Sentence ends fold one-to-one, so sentences can be cut in the original text directly.
        ends = re.escape(normalizer.sources_of(SENTENCE_END))
        self._original_sentence_span = re.compile(f"[^{ends}]*[{ends}]+|[^{ends}]+")
        self._blank = normalizer.sources_of(SENTENCE_END) + " \t\r\u3000"
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
        self._required_context = {
            i: tuple(re.compile(p) for p in e.requires_context)
            for i, e in enumerate(self._entries)
            if e.requires_context
        }

    @classmethod
    def from_files(
        cls, extra_lexicons: Iterable[str | Path] = (), folder: Path | None = None
    ) -> Checker:
        """Load the shipped lexicon (and users' extra files) and compile it."""
        folder = folder or data_dir("lexicons")
        extra = [Path(p) for p in extra_lexicons]
        lexicon = load_lexicon(extra, folder)
        normalization = read_yaml(folder / "normalization.yaml")
        return cls(
            lexicon=lexicon,
            profiles=load_profiles([folder / "profiles.yaml", *extra]),
            normalizer=load_normalizer(folder / "normalization.yaml"),
            context_rules=read_yaml(folder / "context.yaml"),
            scoring=ScoringRules.from_data(read_yaml(folder / "scoring.yaml")),
            generated=normalization.get("generated") or {},
        )

    def normalize_term(self, term: str) -> str:
        return self._normalizer.normalize(term).text

    def check(
        self, text: str, *, profile: str | None = None, product_class: str | None = None
    ) -> Report:
        """Check `text`; hits carry offsets into `text` exactly as given."""
        chosen = find_profile(self.profiles, profile)
        product_class = product_class or chosen.product_class
        normalized = self._normalizer.normalize(text)
        norm = normalized.text
        segments = TextSegments.of(norm, self._clause_pattern, self._sentence_pattern)
        covers = self._whitelist.covers(norm)
        cover_starts = [c.start for c in covers]
        kept: list[tuple[Candidate, Entry]] = []
        seen: set[tuple[int, int, int]] = set()
        for candidate in self._matcher.candidates(norm) + self._pinyin.candidates(norm):
            key = (candidate.entry, candidate.start, candidate.end)
            if key in seen:
                continue
            seen.add(key)
            entry = chosen.select(self._entries[candidate.entry])
            if entry is None or not entry.applies(product_class):
                continue
            if self._is_compliant_in_context(
                candidate, entry, norm, segments, covers, cover_starts
            ):
                continue
            kept.append((candidate, entry))
        hits = self._hits(normalized, _without_repeats(kept))
        sentences = self._sentences(text, hits)
        return Report(
            verdict=self._scoring.verdict(hits),
            risk=self._scoring.risk(hits),
            hits=tuple(hits),
            sentences=tuple(sentences),
            profile=chosen.name,
        )

    def _is_compliant_in_context(
        self,
        candidate: Candidate,
        entry: Entry,
        norm: str,
        segments: TextSegments,
        covers: list,
        cover_starts: list[int],
    ) -> bool:
        if self._whitelist.is_covered(covers, cover_starts, candidate):
            return True
        clause = segments.clause_of(candidate.start)
        clause_text = norm[clause[0] : clause[1]]
        local = (candidate.start - clause[0], candidate.end - clause[0])
        for pattern in (*self._regex_exceptions.get(candidate.entry, ()), *self._regex_whitelist):
            if any(
                m.start() <= local[0] and m.end() >= local[1] for m in pattern.finditer(clause_text)
            ):
                return True
        sentence = segments.sentence_of(candidate.start)
        required = self._required_context.get(candidate.entry)
        if required and not any(p.search(norm, sentence[0], sentence[1]) for p in required):
            return True
        for product_class in entry.exempt_for:
            cue = self._class_cues.get(product_class)
            if cue is not None and cue.search(norm, sentence[0], sentence[1]):
                return True
        if entry.negatable and (
            self._negation.is_negated(norm, clause[0], candidate.start)
            or self._negation.is_rejected_after(norm, candidate.end, clause[1])
        ):
            return True
        term = self._terms[candidate.entry]
        short_word = entry.lang == "zh" and len(term) <= self._boundary_max_length
        return short_word and not self._boundaries.keeps(
            norm, candidate.start, candidate.end, clause
        )

    def _hits(self, normalized: NormalizedText, kept: list[tuple[Candidate, Entry]]) -> list[Hit]:
        hits = []
        for candidate, entry in kept:
            start, end = normalized.to_original(candidate.start, candidate.end)
            category = self.lexicon.categories[entry.category]
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
                    score=self._scoring.match_scores.get(candidate.kind, 0.8),
                    basis=entry.basis,
                    explanation=entry.explanation,
                    suggestion=entry.suggestion,
                    match=candidate.kind,
                    term=entry.term,
                )
            )
        hits.sort(key=lambda h: (h.start, -h.end, h.category))
        return hits

    def _sentences(self, text: str, hits: list[Hit]) -> list[SentenceVerdict]:
        hit_starts = [h.start for h in hits]
        sentences = []
        for match in self._original_sentence_span.finditer(text):
            start, end = match.span()
            if not text[start:end].strip(self._blank):
                continue
            inside = hits[bisect_left(hit_starts, start) : bisect_left(hit_starts, end)]
            sentences.append(
                SentenceVerdict(
                    start=start,
                    end=end,
                    verdict=self._scoring.verdict(inside),
                    categories=tuple(dict.fromkeys(h.category for h in inside)),
                    score=max((h.score for h in inside), default=0.0),
                )
            )
        return sentences


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


_default_checker: Checker | None = None
_default_lock = threading.Lock()


def default_checker() -> Checker:
    """The checker over the shipped lexicon, compiled on first use and shared by every thread."""
    global _default_checker
    with _default_lock:
        if _default_checker is None:
            _default_checker = Checker.from_files()
        return _default_checker


def check(
    text: str,
    *,
    profile: str | None = None,
    product_class: str | None = None,
    checker: Checker | None = None,
) -> Report:
    """Check `text` against the lexicon (the shipped one unless `checker` is given)."""
    return (checker or default_checker()).check(text, profile=profile, product_class=product_class)

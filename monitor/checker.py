"""The text check: normalise once, run the detectors (lexicon, then classifier), and combine their
hits into a report with a verdict per utterance and overall.

`Checker` compiles everything once; `Checker.check` is pure and safe to call from many threads.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .data_files import data_dir
from .facts import FactRules, ProductFacts, apply_facts
from .lexicon import load_lexicon, read_yaml
from .lexicon_detector import LexiconDetector
from .normalization import load_normalizer
from .product_laws import ProductLaws
from .profiles import Profile, find_profile, load_profiles
from .report import Hit, Report, SentenceVerdict
from .scoring import ScoringRules
from .utterances import split_utterances

if TYPE_CHECKING:  # scikit-learn is imported only when a classifier is loaded (start-up time)
    from .classifier_detector import ClassifierDetector


class Checker:
    """The lexicon detector, optionally the classifier detector, and the profiles they serve."""

    def __init__(
        self,
        lexicon_detector: LexiconDetector,
        profiles: dict[str, Profile],
        scoring: ScoringRules,
        classifier_detector: ClassifierDetector | None = None,
        product_laws: ProductLaws | None = None,
    ):
        self.lexicon = lexicon_detector.lexicon
        self.product_laws = product_laws or ProductLaws({}, {})
        self.profiles = profiles
        self._lexicon_detector = lexicon_detector
        self._classifier_detector = classifier_detector
        self._normalizer = lexicon_detector.normalizer
        self._scoring = scoring
        self._facts: FactRules | None = None
        self._evidence = None
        self._evidence_file = data_dir("lexicons") / "claim_evidence.yaml"

    @classmethod
    def from_files(
        cls,
        extra_lexicons: Iterable[str | Path] = (),
        folder: Path | None = None,
        model_folder: Path | None = None,
        use_classifier: bool = True,
    ) -> Checker:
        """Load the shipped lexicon (and users' extra files) and, unless told not to, the classifier."""
        folder = folder or data_dir("lexicons")
        extra = [Path(p) for p in extra_lexicons]
        lexicon = load_lexicon(extra, folder)
        scoring = ScoringRules.from_data(read_yaml(folder / "scoring.yaml"))
        detector = LexiconDetector(
            lexicon=lexicon,
            normalizer=load_normalizer(folder / "normalization.yaml"),
            context_rules=read_yaml(folder / "context.yaml"),
            scoring=scoring,
            generated=read_yaml(folder / "normalization.yaml").get("generated") or {},
        )
        profiles = load_profiles([folder / "profiles.yaml", *extra])
        laws = ProductLaws.load(folder / "laws.yaml", lexicon.categories, lexicon.product_classes)
        checker = cls(detector, profiles, scoring, None, laws)
        checker._evidence_file = folder / "claim_evidence.yaml"
        return checker.with_classifier(model_folder) if use_classifier else checker

    def with_classifier(self, model_folder: Path | None = None) -> Checker:
        """This checker with the 虚假宣传 classifier after the lexicon (the shipped model unless
        `model_folder` names another); scikit-learn is imported here."""
        from .claim_evidence import ClaimEvidence
        from .classifier import ClaimClassifier
        from .classifier_detector import ClassifierDetector

        model_folder = model_folder or data_dir("models")
        classifier_detector = ClassifierDetector(
            ClaimClassifier.load(model_folder),
            read_yaml(model_folder / "classifier.yaml"),
            dict(self.lexicon.categories),
            ClaimEvidence.load(
                self._evidence_file, self.lexicon.categories, self._lexicon_detector.min_price_gap
            ),
        )
        checker = Checker(
            self._lexicon_detector,
            self.profiles,
            self._scoring,
            classifier_detector,
            self.product_laws,
        )
        checker._evidence_file = self._evidence_file
        return checker

    def normalize_term(self, term: str) -> str:
        return self._lexicon_detector.normalize_term(term)

    def claim_evidence(self, text: str) -> set[str]:
        """The categories whose claim shape `text` shows outside denied or rejected stretches
        (what a classifier hit needs; used to choose the classifier's thresholds)."""
        from .claim_evidence import ClaimEvidence

        if self._evidence is None:
            self._evidence = ClaimEvidence.load(
                self._evidence_file, self.lexicon.categories, self._lexicon_detector.min_price_gap
            )
        normalized = self._normalizer.normalize(text)
        findings = self._lexicon_detector.detect(normalized, self.profiles["default"], None)
        norm = normalized.text
        return {
            category
            for category in self.lexicon.categories
            if self._evidence.find(
                category,
                norm,
                0,
                len(norm),
                findings.scopes,
                lambda a, b: self._lexicon_detector.negated(norm, findings.segments, a, b),
            )
        }

    def check(
        self,
        text: str,
        *,
        profile: str | None = None,
        product_class: str | None = None,
        facts: ProductFacts | None = None,
    ) -> Report:
        """Check `text`; hits carry offsets into `text` exactly as given. With the product's
        registered `facts`, certification and origin claims are checked against them. Where the
        product class is known (given, or the profile's), hits cite the laws of that class."""
        chosen = find_profile(self.profiles, profile)
        product_class = product_class or chosen.product_class
        normalized = self._normalizer.normalize(text)
        findings = self._lexicon_detector.detect(
            normalized, chosen, product_class, with_facts=facts is not None
        )
        hits = findings.hits
        spans = split_utterances(normalized.text)
        original_spans = normalized.spans_to_original(spans)
        scores: list = []
        if self._classifier_detector is not None:
            scores = self._classifier_detector.scores(normalized, spans)
            hits = self._classifier_detector.detect(
                normalized,
                spans,
                original_spans,
                scores,
                findings,
                chosen,
                product_class,
                negated=lambda a, b: self._lexicon_detector.negated(
                    normalized.text, findings.segments, a, b
                ),
            )
        if facts is not None:
            category = self.lexicon.categories["quality_origin_claims"]
            hits = apply_facts(text, list(hits), facts, self._fact_rules(), category.zh)
        hits = self.product_laws.apply(hits, product_class)
        return Report(
            verdict=self._scoring.verdict(hits),
            risk=self._scoring.risk(hits),
            hits=tuple(hits),
            sentences=tuple(self._sentences(original_spans, scores, hits)),
            profile=chosen.name,
        )

    def _fact_rules(self) -> FactRules:
        if self._facts is None:
            self._facts = FactRules.load()
        return self._facts

    def _sentences(
        self, original_spans: list[tuple[int, int]], scores: list, hits: list[Hit]
    ) -> list[SentenceVerdict]:
        """One verdict per utterance: its hits' categories and the highest score of hit or model."""
        hit_starts = [h.start for h in hits]
        sentences = []
        for index, (start, end) in enumerate(original_spans):
            inside = hits[bisect_left(hit_starts, start) : bisect_left(hit_starts, end)]
            model = max(scores[index].probabilities.values()) if scores else 0.0
            sentences.append(
                SentenceVerdict(
                    start=start,
                    end=end,
                    verdict=self._scoring.verdict(inside),
                    categories=tuple(dict.fromkeys(h.category for h in inside)),
                    score=round(max([h.score for h in inside] + [model]), 4),
                )
            )
        return sentences


_default_checker: Checker | None = None
_default_lock = threading.Lock()


def default_checker() -> Checker:
    """The checker over the shipped lexicon and model, built on first use, shared by every thread."""
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
    """Check `text` with the lexicon and the classifier (the shipped ones unless `checker` is given)."""
    return (checker or default_checker()).check(text, profile=profile, product_class=product_class)

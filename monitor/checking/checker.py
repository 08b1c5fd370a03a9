"""The text check: normalise once, run the registered detectors (checking/detectors/registry.py: lexicon, then
classifier, then facts) over one context, cite the product class's laws, and combine the hits
into a report with a verdict per utterance and overall.

`Checker` compiles everything once; `Checker.check` is pure and safe to call from many threads.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from monitor.checking.detectors.fact_rules import ProductFacts
from monitor.checking.detectors.interface import CheckContext, Detector, DetectorSetup
from monitor.checking.detectors.lexicon import LexiconDetector
from monitor.checking.detectors.registry import build_detectors
from monitor.checking.product_laws import ProductLaws
from monitor.data_files import data_dir
from monitor.lexicon.entries import Lexicon, load_lexicon
from monitor.lexicon.profiles import Profile, find_profile, load_profiles
from monitor.lexicon.scoring import ScoringRules
from monitor.lexicon.scoring_schema import ScoringFile
from monitor.report import Hit, Report, SentenceVerdict
from monitor.text.normalization import Normalizer, load_normalizer
from monitor.text.utterances import split_utterances
from monitor.yaml_files import read_validated


class Checker:
    """The registered detectors, the profiles they serve and the laws of each product class."""

    def __init__(
        self,
        detectors: dict[str, Detector],
        setup: DetectorSetup,
        profiles: dict[str, Profile],
        product_laws: ProductLaws | None = None,
    ):
        self.lexicon: Lexicon = setup.lexicon
        self.product_laws = product_laws or ProductLaws({}, {})
        self.profiles = profiles
        self.detectors = detectors
        self._setup = setup
        self._normalizer: Normalizer = setup.normalizer
        self._scoring: ScoringRules = setup.scoring
        self._evidence = None

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
        setup = DetectorSetup(
            lexicon_folder=folder,
            model_folder=(model_folder or data_dir("models")) if use_classifier else None,
            lexicon=lexicon,
            normalizer=load_normalizer(folder / "normalization.yaml"),
            scoring=ScoringRules.from_data(
                read_validated(folder / "scoring.yaml", ScoringFile).model_dump()
            ),
            built={},
        )
        profiles = load_profiles([folder / "profiles.yaml", *extra])
        laws = ProductLaws.load(folder / "laws.yaml", lexicon.categories, lexicon.product_classes)
        return cls(build_detectors(setup), setup, profiles, laws)

    def with_classifier(self, model_folder: Path | None = None) -> Checker:
        """This checker with the 虚假宣传 classifier after the lexicon (the shipped model unless
        `model_folder` names another); scikit-learn is imported here. Its other detectors are
        reused as they are; one registered since it was built joins too."""
        setup = replace(self._setup, model_folder=model_folder or data_dir("models"))
        kept = {name: d for name, d in self.detectors.items() if name != "classifier"}
        return Checker(build_detectors(setup, kept), setup, self.profiles, self.product_laws)

    @property
    def _lexicon_detector(self) -> LexiconDetector:
        detector = self.detectors["lexicon"]
        assert isinstance(detector, LexiconDetector)
        return detector

    def normalize_term(self, term: str) -> str:
        return self._lexicon_detector.normalize_term(term)

    def claim_evidence(self, text: str) -> set[str]:
        """The categories whose claim shape `text` shows outside denied or rejected stretches
        (what a classifier hit needs; used to choose the classifier's thresholds)."""
        from monitor.checking.detectors.classifier import load_evidence

        if self._evidence is None:
            self._evidence = load_evidence(
                self._setup.lexicon_folder, self.lexicon, self._lexicon_detector
            )
        normalized = self._normalizer.normalize(text)
        findings = self._lexicon_detector.find(normalized, self.profiles["default"], None)
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
        spans = split_utterances(normalized.text)
        original_spans = normalized.spans_to_original(spans)
        context = CheckContext(
            text=text,
            normalized=normalized,
            profile=chosen,
            product_class=product_class,
            facts=facts,
            utterances=tuple(spans),
            original_utterances=tuple(original_spans),
        )
        hits: list[Hit] = []
        for detector in self.detectors.values():
            hits = detector.detect(context, hits)
        hits = self.product_laws.apply(hits, product_class)
        return Report(
            verdict=self._scoring.verdict(hits),
            risk=self._scoring.risk(hits),
            hits=tuple(hits),
            sentences=tuple(self._sentences(original_spans, context.utterance_scores, hits)),
            profile=chosen.name,
        )

    def _sentences(
        self, original_spans: list[tuple[int, int]], scores: list[float], hits: list[Hit]
    ) -> list[SentenceVerdict]:
        """One verdict per utterance: its hits' categories and the highest score of hit or model."""
        hit_starts = [h.start for h in hits]
        sentences = []
        for index, (start, end) in enumerate(original_spans):
            inside = hits[bisect_left(hit_starts, start) : bisect_left(hit_starts, end)]
            model = scores[index] if scores else 0.0
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

"""The classifier detector: judge each utterance with the trained model and report what the
lexicon missed; where the lexicon already found the same category, add the model's reason to
that hit instead of reporting twice. Policy (severity, thresholds, basis) is data:
models/classifier.yaml.

Precision first: a hit of the model alone needs (1) a probability at the category's `model_only`
bar, far above the bar for confirming a rule's hit, and (2) evidence of the claim's shape in the
utterance outside any denied or rejected stretch (checking/detectors/claim_evidence.py): topic words alone (a price,
a dosage, a symptom named) are not a claim. A model-only hit never blocks: `block` needs a rule.
Registered after the lexicon detector, whose findings it reads."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.checking.detectors.claim_evidence import ClaimEvidence
from monitor.checking.detectors.interface import CheckContext, DetectorSetup, in_text_order
from monitor.checking.detectors.lexicon import LexiconDetector, LexiconFindings
from monitor.lexicon.entries import Category
from monitor.lexicon.profiles import Profile
from monitor.model.policy_schema import ClassifierPolicyFile
from monitor.report import Hit, Reason
from monitor.text.normalization import NormalizedText
from monitor.yaml_files import read_validated

if TYPE_CHECKING:  # scikit-learn is imported only when a classifier is built (start-up time)
    from monitor.model.classifier import CategoryScores, ClaimClassifier

_EDGE = 6  # utterances are cut at pauses; a claim's words may straddle the cut
_TRIM = " \t\u3000\n，,、。！？!?；;…：:"


class ClassifierDetector:
    name = "classifier"

    def __init__(
        self,
        classifier: ClaimClassifier,
        policy: dict,
        categories: dict[str, Category],
        lexicon: LexiconDetector,
        evidence: ClaimEvidence | None = None,
    ):
        self.classifier = classifier
        self._lexicon = lexicon
        self._policy = policy["categories"]
        floor = float(policy.get("review_floor", 0.5))
        self._review = {c: max(floor, t) for c, t in classifier.thresholds.items()}
        model_only_floor = float(policy.get("model_only_floor", floor))
        self._model_only = {
            c: max(t, model_only_floor, float(self._policy[c].get("model_only", 0.0)))
            for c, t in self._review.items()
        }
        self._categories = categories
        self._evidence = evidence

    def scores(
        self, normalized: NormalizedText, spans: Sequence[tuple[int, int]]
    ) -> list[CategoryScores]:
        return self.classifier.scores([normalized.text[s:e] for s, e in spans])

    def detect(self, context: CheckContext, found: Sequence[Hit]) -> list[Hit]:
        """`found` (some with the model's reason added) and the model's own hits, in text order;
        each utterance's top score is recorded in the context for its sentence verdict."""
        normalized = context.normalized
        scores = self.scores(normalized, context.utterances)
        context.utterance_scores[:] = [max(s.probabilities.values()) for s in scores]
        findings = self._lexicon.findings(context)
        return self._judge(
            normalized,
            context.utterances,
            context.original_utterances,
            scores,
            found,
            findings,
            context.profile,
            context.product_class,
            negated=lambda a, b: self._lexicon.negated(normalized.text, findings.segments, a, b),
        )

    def _judge(
        self,
        normalized: NormalizedText,
        spans: Sequence[tuple[int, int]],
        original_spans: Sequence[tuple[int, int]],
        scores: Sequence[CategoryScores],
        found: Sequence[Hit],
        findings: LexiconFindings,
        profile: Profile,
        product_class: str | None = None,
        negated: Callable[[int, int], bool] = lambda a, b: False,
    ) -> list[Hit]:
        """`found` hits (some with the model's reason added) and new classifier hits, in order.
        The model never reports a category in an utterance where the rules saw that claim and
        cleared it in context ("不能防脱 也不能生发", "治疗期间请遵医嘱"): character n-grams cannot read
        a negation or a whitelist, the rules can. Nor where the product class is exempt, nor where
        the n-gram that drove the score lies only inside a whitelist phrase."""
        hits = list(found)
        starts = [h.start for h in hits]
        cleared = sorted(findings.cleared)
        cleared_starts = [a for a, _, _ in cleared]
        innocent = sorted(findings.innocent)
        innocent_starts = [a for a, _ in innocent]
        shown: list[tuple[str, int, int]] = []  # model-only claims reported: category, evidence
        for (n_start, n_end), (start, end), utterance in zip(
            spans, original_spans, scores, strict=True
        ):
            for category, probability in utterance.probabilities.items():
                if probability < self._review.get(category, 1.0):
                    continue
                severity = profile.severity_of(category, self._policy[category]["severity"])
                if (
                    severity is None
                    or product_class in self._policy[category].get("exempt_for", ())
                    or any(
                        b <= n_end and c == category
                        for _, b, c in cleared[
                            bisect_left(cleared_starts, n_start) : bisect_left(
                                cleared_starts, n_end
                            )
                        ]
                    )
                ):
                    continue
                text = normalized.text[n_start:n_end]
                ngrams = self.classifier.top_ngrams(utterance, category)
                nearby = innocent[
                    bisect_left(innocent_starts, n_start - 64) : bisect_left(innocent_starts, n_end)
                ]
                if ngrams and _only_inside(ngrams[0], text, n_start, nearby):
                    continue  # what drove the score is a known innocent phrase (最好冷藏)
                reason = Reason(
                    "classifier", f"model-{category}", round(probability, 4), "、".join(ngrams)
                )
                basis = self._policy[category]["basis"][0]
                inside = [
                    i
                    for i in range(bisect_left(starts, start), bisect_left(starts, end))
                    if hits[i].category == category or basis in hits[i].basis
                ]
                if inside:
                    for i in inside:
                        hits[i] = replace(
                            hits[i],
                            reasons=(*hits[i].reasons, reason),
                            score=max(hits[i].score, reason.score),
                        )
                    continue
                if probability < self._model_only.get(category, 1.0):
                    continue
                evidence = None
                if self._evidence is not None and self._evidence.knows(category):
                    evidence = self._evidence.find(  # the utterance and the words at its edges
                        category,
                        normalized.text,
                        max(0, n_start - _EDGE),
                        min(len(normalized.text), n_end + _EDGE),
                        findings.scopes,
                        negated,
                    )
                    if evidence is None:
                        continue  # topic words without the claim's shape
                    if any(
                        c == category and a < evidence.end and evidence.start < b
                        for c, a, b in shown
                    ):
                        continue  # the neighbouring utterance already reports this claim
                    shown.append((category, evidence.start, evidence.end))
                    reason = replace(reason, detail=f"{reason.detail}；证据：{evidence.text}")
                hits.append(
                    self._hit(
                        normalized,
                        (start, end),
                        (n_start, n_end),
                        category,
                        severity,
                        reason,
                        evidence.why if evidence else "",
                    )
                )
        return in_text_order(hits)

    def _hit(
        self,
        normalized: NormalizedText,
        span: tuple[int, int],
        normalized_span: tuple[int, int],
        category: str,
        severity: str,
        reason: Reason,
        why: str = "",
    ) -> Hit:
        (start, end), (n_start, n_end) = span, normalized_span
        original = normalized.original
        trimmed_start = start + len(original[start:end]) - len(original[start:end].lstrip(_TRIM))
        trimmed_end = start + len(original[start:end].rstrip(_TRIM))
        policy = self._policy[category]
        ngrams = f"（关键片段：{reason.detail}）" if reason.detail else ""
        if why:
            ngrams += f"依据的说法：{why}。"
        return Hit(
            start=trimmed_start,
            end=trimmed_end,
            text=original[trimmed_start:trimmed_end],
            normalized=normalized.text[n_start:n_end].strip(_TRIM),
            category=category,
            category_name=self._categories[category].zh,
            severity=severity,
            source="classifier",
            rule=reason.rule,
            score=reason.score,
            basis=tuple(policy["basis"]),
            explanation=policy["explanation"] + ngrams,
            suggestion=policy["suggestion"],
            match="model",
            blocking=False,  # the model alone never blocks: a block needs a rule or the facts
            reasons=(reason,),
        )


def build(setup: DetectorSetup) -> ClassifierDetector | None:
    """The classifier of the setup's model folder (None when there is none), after the lexicon;
    scikit-learn is imported here."""
    if setup.model_folder is None:
        return None
    from monitor.model.classifier import ClaimClassifier

    lexicon = setup.built["lexicon"]
    assert isinstance(lexicon, LexiconDetector)
    classifier = ClaimClassifier.load(setup.model_folder)
    known = {
        "categories": setup.lexicon.categories,
        "product_classes": setup.lexicon.product_classes,
        "model_categories": tuple(classifier.thresholds),
    }
    policy = read_validated(setup.model_folder / "classifier.yaml", ClassifierPolicyFile, known)
    return ClassifierDetector(
        classifier,
        policy.model_dump(exclude_none=True),
        dict(setup.lexicon.categories),
        lexicon,
        load_evidence(setup.lexicon_folder, setup.lexicon, lexicon),
    )


def load_evidence(folder: Path, lexicon, detector: LexiconDetector) -> ClaimEvidence:
    """The claim evidence of the lexicon folder (claim_evidence.yaml)."""
    return ClaimEvidence.load(
        folder / "claim_evidence.yaml", lexicon.categories, detector.min_price_gap
    )


def _only_inside(ngram: str, text: str, offset: int, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether every occurrence of `ngram` in `text` (at `offset`) lies inside one of `spans`."""
    positions = [i for i in range(len(text)) if text.startswith(ngram, i)]
    return bool(positions) and all(
        any(a <= offset + i and offset + i + len(ngram) <= b for a, b in spans) for i in positions
    )

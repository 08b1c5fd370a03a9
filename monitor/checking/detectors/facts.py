"""The facts detector: when the check knows the product's registered record, certification and
origin claims are judged against it (facts.py); otherwise it leaves the hits as they are.
Registered last of the shipped detectors: it supersedes the hits that asked for the evidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from monitor.checking.detectors.fact_rules import FACTS_CATEGORY, FactRules, apply_facts
from monitor.checking.detectors.interface import CheckContext, DetectorSetup
from monitor.lexicon.entries import Category
from monitor.report import Hit


class FactsDetector:
    name = "facts"

    def __init__(self, categories: Mapping[str, Category]):
        self._categories = categories
        self._rules: FactRules | None = None  # read on the first check that knows a product

    def detect(self, context: CheckContext, found: Sequence[Hit]) -> list[Hit]:
        """`found` once the product's facts are known (claims the record supports dropped,
        unsupported ones replaced by facts hits), or `found` as it is without facts."""
        if context.facts is None:
            return list(found)
        if self._rules is None:
            self._rules = FactRules.load()
        category = self._categories[FACTS_CATEGORY]
        return apply_facts(context.text, list(found), context.facts, self._rules, category.zh)


def build(setup: DetectorSetup) -> FactsDetector:
    return FactsDetector(setup.lexicon.categories)

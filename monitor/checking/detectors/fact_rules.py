"""Claims against a product's registered facts (`source: "facts"`): certifications (有机, 绿色食品,
地理标志 …) and place of origin. Pure: the caller hands in the facts and the check's hits; the
rules are data (`monitor/policies/fact_claims.yaml`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from monitor.checking.detectors.fact_claims_schema import FactClaimsFile
from monitor.report import Hit, Reason
from monitor.yaml_files import read_validated

FACTS_CATEGORY = "quality_origin_claims"  # the category of every facts hit


@dataclass(frozen=True)
class ProductFacts:
    name: str
    origin: str
    certifications: frozenset[str]

    @classmethod
    def from_record(cls, product: dict) -> ProductFacts:
        return cls(
            name=product["name"],
            origin=product.get("origin") or "",
            certifications=frozenset(c["type"] for c in product.get("certifications") or ()),
        )


@dataclass(frozen=True)
class Certification:
    type: str
    name: str
    rules: frozenset[str]
    phrases: tuple[str, ...]
    severity: str = "high"
    blocking: bool = True


@dataclass(frozen=True)
class FactRules:
    basis: tuple[str, ...]
    certifications: tuple[Certification, ...]
    negations: tuple[str, ...]
    origin_claim: re.Pattern

    @classmethod
    def load(cls) -> FactRules:
        path = files("monitor").joinpath("policies", "fact_claims.yaml")
        data = read_validated(Path(str(path)), FactClaimsFile)
        places = sorted(data.origin.places, key=len, reverse=True)
        cues = sorted(data.origin.cues, key=len, reverse=True)
        return cls(
            basis=data.basis,
            certifications=tuple(
                Certification(
                    key,
                    rule.name,
                    frozenset(rule.rules),
                    rule.phrases,
                    rule.severity,
                    rule.blocking,
                )
                for key, rule in data.certifications.items()
            ),
            negations=data.negations,
            origin_claim=re.compile(
                f"(?:{'|'.join(map(re.escape, cues))})(?P<place>{'|'.join(map(re.escape, places))})"
            ),
        )


def apply_facts(
    text: str, hits: list[Hit], facts: ProductFacts, rules: FactRules, category_name: str
) -> list[Hit]:
    """The hits once the product's facts are known, in text order."""
    kept: list[Hit] = []
    claimed: list[tuple[int, int, Certification]] = []
    for hit in hits:
        cert = next((c for c in rules.certifications if hit.rule in c.rules), None)
        if cert is None:
            kept.append(hit)
        elif cert.type not in facts.certifications:
            claimed.append((hit.start, hit.end, cert))
        # else: the record holds the certification; the claim is supported
    for cert in rules.certifications:
        if cert.type in facts.certifications:
            continue
        for phrase in cert.phrases:
            for match in re.finditer(re.escape(phrase), text):
                if not _negated(text, match.start(), rules):
                    claimed.append((match.start(), match.end(), cert))
    facts_hits = [
        _certification_hit(text, s, e, cert, facts, rules, category_name, hits)
        for s, e, cert in _distinct(claimed)
    ]
    for match in rules.origin_claim.finditer(text):
        place = match.group("place")
        if place not in facts.origin and not _negated(text, match.start(), rules):
            facts_hits.append(
                _origin_hit(text, match.start(), match.end(), place, facts, rules, category_name)
            )
    covered = [(h.start, h.end) for h in facts_hits]
    kept = [
        h
        for h in kept
        if not (h.category == FACTS_CATEGORY and any(s < h.end and h.start < e for s, e in covered))
    ]
    return sorted(kept + facts_hits, key=lambda h: (h.start, h.end))


def _distinct(
    claimed: list[tuple[int, int, Certification]],
) -> list[tuple[int, int, Certification]]:
    """One claim per place in the text: the longest of overlapping ones."""
    chosen: list[tuple[int, int, Certification]] = []
    for start, end, cert in sorted(claimed, key=lambda c: (c[0], -(c[1] - c[0]))):
        if chosen and start < chosen[-1][1]:
            continue
        chosen.append((start, end, cert))
    return chosen


def _negated(text: str, start: int, rules: FactRules) -> bool:
    before = text[max(0, start - 6) : start]
    return any(word in before for word in rules.negations)


def _certification_hit(text, start, end, cert, facts, rules, category_name, hits) -> Hit:
    reasons = tuple(
        Reason(source=h.source, rule=h.rule, score=h.score, detail=h.explanation)
        for h in hits
        if h.start < end and start < h.end and h.category == FACTS_CATEGORY
    )
    return _facts_hit(
        text, start, end, category_name, rules,
        rule=f"facts-certification-{cert.type}",
        score=0.95,
        explanation=(
            f"宣称“{text[start:end]}”，但产品“{facts.name}”的登记信息中没有{cert.name}，"
            + (
                "属于与实际情况不符的宣传。"
                if cert.blocking
                else "说法无法核实，请核对产品标签和证明材料。"
            )
        ),
        suggestion=f"不要宣称{cert.name}；如已取得，请先在平台登记证书编号后再宣传",
        term=text[start:end],
        reasons=reasons,
        severity=cert.severity,
        blocking=cert.blocking,
    )  # fmt: skip


def _origin_hit(text, start, end, place, facts, rules, category_name) -> Hit:
    registered = facts.origin or "未登记"
    return _facts_hit(
        text, start, end, category_name, rules,
        rule="facts-origin",
        score=0.9,
        explanation=f"宣称产地“{place}”，但产品“{facts.name}”登记的产地是“{registered}”。",
        suggestion=(
            f"如实说明产地：{registered}" if facts.origin else "先在平台登记产品产地，再如实说明"
        ),
        term=place,
    )  # fmt: skip


def _facts_hit(
    text: str, start: int, end: int, category_name: str, rules: FactRules, **what
) -> Hit:
    """A `source: "facts"` hit on `text[start:end]`: high severity and blocking unless told."""
    what = {"severity": "high", "blocking": True, **what}
    return Hit(
        start=start,
        end=end,
        text=text[start:end],
        normalized=text[start:end],
        category=FACTS_CATEGORY,
        category_name=category_name,
        source="facts",
        basis=rules.basis,
        match="facts",
        **what,
    )


@cache
def certification_names() -> dict[str, str]:
    """The Chinese name of each certification type (有机产品认证, 地理标志 …), for display."""
    return {cert.type: cert.name for cert in FactRules.load().certifications}


def named_certifications(certifications: list[dict]) -> list[dict]:
    """A product's certifications, each with its `type_name` added."""
    names = certification_names()
    return [
        {**cert, "type_name": names.get(cert.get("type"), cert.get("type"))}
        for cert in certifications
    ]

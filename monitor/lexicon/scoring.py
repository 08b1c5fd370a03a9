"""Scores, risk and verdicts from hits, under the rules in lexicons/scoring.yaml. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.report import Hit


@dataclass(frozen=True)
class ScoringRules:
    match_scores: dict[str, float]
    severity_weights: dict[str, float]
    block_severities: frozenset[str]
    block_min_score: float

    @classmethod
    def from_data(cls, data: dict) -> ScoringRules:
        return cls(
            match_scores={k: float(v) for k, v in data["match_scores"].items()},
            severity_weights={k: float(v) for k, v in data["severity_weights"].items()},
            block_severities=frozenset(data["block_severities"]),
            block_min_score=float(data["block_min_score"]),
        )

    def blocks(self, severity: str, score: float) -> bool:
        """Whether a lexicon hit of this severity and score blocks on its own."""
        return severity in self.block_severities and score >= self.block_min_score

    @staticmethod
    def verdict(hits: Iterable[Hit]) -> str:
        """pass with no hit; block when a hit is blocking (high severity, high confidence); else review."""
        hits = list(hits)
        if not hits:
            return "pass"
        return "block" if any(h.blocking for h in hits) else "review"

    def risk(self, hits: Iterable[Hit]) -> float:
        """1 - prod(1 - score x severity weight): 0 with no hit, near 1 with several sure ones."""
        clean = 1.0
        for hit in hits:
            clean *= 1.0 - hit.score * self.severity_weights.get(hit.severity, 1.0)
        return round(1.0 - clean, 4)

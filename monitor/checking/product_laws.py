"""The laws a kind of product answers to (lexicons/laws.yaml): which citations govern which product
classes, and the articles a class cites first by category. With them a hit on a 黄酒 script cites
《广告法》第二十三条 (alcohol advertising) before the general articles, and not the cosmetics
regulation its entry also names. Pure: hits in, hits out; the file is read by `load`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from monitor.errors import LexiconError
from monitor.report import Hit

Citations = list[str]


class _LawsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    governs: dict[str, list[str]] = Field(default_factory=dict)
    cites: dict[str, dict[str, Citations]] = Field(default_factory=dict)


@dataclass(frozen=True)
class ProductLaws:
    governs: Mapping[str, frozenset[str]]  # citation prefix -> the product classes it applies to
    cites: Mapping[str, Mapping[str, tuple[str, ...]]]  # class -> category -> articles

    @classmethod
    def load(
        cls, path: Path, categories: Iterable[str], product_classes: Iterable[str]
    ) -> ProductLaws:
        """The file validated: every class and category it names must exist (LexiconError)."""
        from monitor.yaml_files import read_validated

        data = read_validated(path, _LawsFile)
        known_classes, known_categories = set(product_classes), set(categories)
        problems = [
            f"{path}: governs.{law}: unknown product class '{c}'"
            for law, classes in data.governs.items()
            for c in classes
            if c not in known_classes
        ]
        for product_class, by_category in data.cites.items():
            if product_class not in known_classes:
                problems.append(f"{path}: cites.{product_class}: unknown product class")
            problems.extend(
                f"{path}: cites.{product_class}.{category}: unknown category"
                for category in by_category
                if category not in known_categories
            )
            problems.extend(
                f"{path}: cites.{product_class}.{category}: '{citation}' is not 《law》article"
                for category, citations in by_category.items()
                for citation in citations
                if not (citation.startswith("《") and "》第" in citation)
            )
        if problems:
            raise LexiconError(problems)
        return cls(
            governs={law: frozenset(classes) for law, classes in data.governs.items()},
            cites={
                product_class: {category: tuple(c) for category, c in by_category.items()}
                for product_class, by_category in data.cites.items()
            },
        )

    def _law(self, citation: str) -> str | None:
        """The `governs` key of `citation` (the longest that matches), or None."""
        keys = [law for law in self.governs if citation.startswith(law)]
        return max(keys, key=len) if keys else None

    def governs_class(self, citation: str, product_class: str) -> bool:
        """Whether `citation` applies to goods of `product_class`."""
        law = self._law(citation)
        return law is None or product_class in self.governs[law]

    def basis(
        self, basis: tuple[str, ...], category: str, product_class: str | None
    ) -> tuple[str, ...]:
        """The citations for a hit of `category` on goods of `product_class` (None: as given):
        the class's own articles first, each in the entry's more precise form where the entry
        cites the same article (千杯不醉: 第二十三条第一项, not the class's 第二十三条第四项); then
        the entry's other citations that govern the class."""
        if product_class is None:
            return basis
        kept = [b for b in basis if self.governs_class(b, product_class)]
        ordered: list[str] = []
        for citation in self.cites.get(product_class, {}).get(category, ()):
            same = [b for b in kept if _article(b) == _article(citation)]
            ordered.extend(same or [citation])
        return tuple(dict.fromkeys([*ordered, *kept])) or basis

    def apply(self, hits: Iterable[Hit], product_class: str | None) -> list[Hit]:
        """`hits` citing the laws of `product_class`."""
        result = []
        for hit in hits:
            basis = self.basis(hit.basis, hit.category, product_class)
            result.append(hit if basis == hit.basis else replace(hit, basis=basis))
        return result


def _article(citation: str) -> str:
    """《广告法》第二十三条第一项 → 《广告法》第二十三条."""
    end = citation.find("条", citation.find("》"))
    return citation[: end + 1] if end >= 0 else citation

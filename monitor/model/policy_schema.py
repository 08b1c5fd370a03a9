"""The schema of the classifier policy (models/classifier.yaml) as pydantic models: the score
floors of the model's hits, and per category its severity, legal basis, explanation and
suggestion. Category ids and product classes are checked against the lexicon's when the loader
passes them (`categories`, `product_classes` in the validation context).

This module validates values; it reads no files and runs no model (see checking/detectors/classifier.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictFloat, StrictInt, ValidationInfo, field_validator

from monitor.data_schema import DataModel, Text
from monitor.vocabulary import SEVERITIES

_Fraction = Annotated[StrictFloat | StrictInt, Field(ge=0, le=1)]


def known(kind: tuple[str, str], key: str, values, info: ValidationInfo) -> None:
    """Refuse a value the validation context's `key` list does not hold (no list: no check)."""
    allowed = (info.context or {}).get(key)
    for value in values:
        if allowed is not None and value not in allowed:
            raise ValueError(f"未知{kind[0]} '{value}' / unknown {kind[1]} '{value}'")


class CategoryPolicy(DataModel):
    """What a hit of the model alone in one category says and weighs."""

    severity: Literal[SEVERITIES]
    basis: tuple[Text, ...] = Field(min_length=1)
    explanation: Text
    suggestion: Text
    exempt_for: tuple[Text, ...] = ()  # product classes where the claim is lawful
    model_only: _Fraction = 0.0  # this category's own floor for a hit of the model alone

    @field_validator("exempt_for")
    @classmethod
    def _known_classes(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        known(("商品类别", "product class"), "product_classes", value, info)
        return value


class ClassifierPolicyFile(DataModel):
    """models/classifier.yaml key for key."""

    review_floor: _Fraction = 0.5
    model_only_floor: _Fraction | None = None  # None: the review floor
    categories: dict[str, CategoryPolicy]

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: dict, info: ValidationInfo) -> dict:
        known(("类别", "category"), "categories", value, info)
        for category in (info.context or {}).get("model_categories", ()):
            if category not in value:
                raise ValueError(
                    f"缺少模型类别 '{category}' / missing the model's category '{category}'"
                )
        return value

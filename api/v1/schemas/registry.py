"""Request and response models of the registry: workshops, anchors and products."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from api.v1.schemas.common import Id, InputModel, Text, visible_text
from monitor.ids import refused_characters
from monitor.store.registry import CERTIFICATION_TYPES


class Workshop(BaseModel):
    id: str
    name: str
    region: str
    created_at: str


class WorkshopList(BaseModel):
    items: list[Workshop]
    total: int


class WorkshopCreate(InputModel):
    id: Id
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    region: Annotated[Text, Field(max_length=200)] = ""


class WorkshopPatch(InputModel):
    """Fields left out or null stay as they are."""

    name: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    region: Annotated[Text, Field(max_length=200)] | None = None


class Anchor(BaseModel):
    id: str
    name: str
    workshop_id: str | None
    created_at: str
    accounts: list[str] = Field(description="Platform accounts, PLATFORM:ACCOUNT.")


class AnchorList(BaseModel):
    items: list[Anchor]
    total: int


def _account_pattern(schema: dict) -> None:
    """PLATFORM:ACCOUNT, both non-blank, without the characters ids refuse (monitor.ids)."""
    no = refused_characters()
    schema["pattern"] = rf"^[^:{no}]*[^\s:{no}][^:{no}]*:[^{no}]*[^\s{no}][^{no}]*$"


Account = Annotated[
    str,
    Field(
        min_length=3,
        json_schema_extra=_account_pattern,
        description="PLATFORM:ACCOUNT",
        examples=["douyin:wang"],
    ),
    AfterValidator(visible_text),
]


class AnchorCreate(InputModel):
    id: Id
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    workshop_id: Id | None = None
    accounts: list[Account] = Field([], max_length=50)


class AnchorPatch(InputModel):
    """Fields left out (or null, except `workshop_id`) stay as they are."""

    name: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    workshop_id: Id | None = Field(None, description="A workshop id; null removes the workshop.")
    add_accounts: list[Account] = Field([], max_length=50)
    remove_accounts: list[Account] = Field([], max_length=50)


CertificationType = Literal[CERTIFICATION_TYPES]


class Certification(BaseModel):
    type: CertificationType
    number: Annotated[Text, Field(max_length=200)] = ""
    valid_until: Annotated[Text, Field(max_length=64)] | None = None


class Product(BaseModel):
    id: str
    name: str
    workshop_id: str | None
    product_class: str
    origin: str
    producer: str
    certifications: list[Certification]
    registration_numbers: list[str]
    created_at: str


class ProductList(BaseModel):
    items: list[Product]
    total: int


_Name = Annotated[Text, Field(min_length=1, max_length=200)]
_Field = Annotated[Text, Field(max_length=500)]
_Numbers = Annotated[list[Annotated[Text, Field(max_length=200)]], Field(max_length=50)]


class ProductCreate(InputModel):
    id: Id
    name: _Name
    workshop_id: Id | None = None
    product_class: Annotated[Text, Field(min_length=1, max_length=64)] = "food"
    origin: _Field = Field("", description="Registered place of origin, e.g. 浙江省宁波市余姚市.")
    producer: _Field = ""
    certifications: list[Certification] = Field([], max_length=50)
    registration_numbers: _Numbers = Field(default_factory=list)


class ProductPatch(InputModel):
    """Fields left out (or null, except `workshop_id`) stay as they are."""

    name: _Name | None = None
    workshop_id: Id | None = Field(None, description="A workshop id; null removes the workshop.")
    product_class: Annotated[Text, Field(min_length=1, max_length=64)] | None = None
    origin: _Field | None = None
    producer: _Field | None = None
    certifications: list[Certification] | None = Field(None, max_length=50)
    registration_numbers: _Numbers | None = None

"""Response models of the public disclosure and the workshop statistics."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .schemas import Severity
from .schemas_common import BlacklistReason


class PublicGrade(BaseModel):
    anchor_id: str
    name: str
    workshop: str | None
    grade: str
    grade_name: str
    colour: str
    as_of: str | None


class PublicBlacklistEntry(BlacklistReason):
    anchor_id: str
    name: str
    listed_at: str
    until: str
    removed_at: str | None
    in_force: bool


class PublicViolation(BaseModel):
    id: int
    anchor_id: str
    name: str
    category: str
    severity: Severity
    occurred_at: str
    published_until: str


class PublicProduct(BaseModel):
    id: str
    name: str
    origin: str
    producer: str
    certifications: list[dict[str, Any]]
    registration_numbers: list[str]
    workshop: str | None


class Disclosure(BaseModel):
    generated_at: str
    anchors: list[PublicGrade] = Field(description="Empty when the policy keeps grades private.")
    blacklist: list[PublicBlacklistEntry]
    violations: list[PublicViolation]
    products: list[PublicProduct]


class PublishedDisclosure(Disclosure):
    audit_head: str = Field(description="Audit log head hash at publication.")


class WorkshopStatsRow(BaseModel):
    rank: int
    workshop_id: str
    name: str
    anchors: int
    streams: int
    streams_with_violations: int
    flags: int
    open_flags: int
    violations: int
    compliance_rate: float | None = Field(
        description="Share of streams with no confirmed violation; null without streams."
    )


class WorkshopStats(BaseModel):
    since: str | None
    until: str | None
    items: list[WorkshopStatsRow]

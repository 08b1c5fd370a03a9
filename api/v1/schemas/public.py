"""Response models of the public disclosure and the workshop statistics."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.v1.schemas.check import Severity
from api.v1.schemas.common import BlacklistReason


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
    streams: int = Field(description="Streams started in the period.")
    streams_with_violations: int = Field(description="Of them, with a standing violation.")
    streams_pending: int = Field(description="Of them, with unreviewed flags and no violation.")
    streams_compliant: int = Field(description="Of them, with neither.")
    flags: int
    open_flags: int = Field(description="Flags of the period not yet reviewed.")
    open_flags_outside_streams: int = Field(
        description="Of them, not on a stream of the period (text checks, earlier streams)."
    )
    violations: int = Field(description="Standing violations of the period, any origin.")
    violations_outside_streams: int = Field(
        description="Of them, not on a stream of the period (complaints, inspections)."
    )
    blacklisted_anchors: int = Field(description="Anchors on the blacklist at some time in it.")
    checked: int = Field(
        description="Streams + violations and open flags outside them + blacklisted anchors."
    )
    compliance_rate: float | None = Field(
        description="streams_compliant / checked, floored to 0.001 (never 1.0 beside a "
        "violation, an unreviewed flag or a blacklisting); null when nothing was checked."
    )


class WorkshopStats(BaseModel):
    since: str | None
    until: str | None
    items: list[WorkshopStatsRow]

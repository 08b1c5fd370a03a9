"""The records anchor credit is computed from and the results it gives: violations, repairs,
overturns (upheld appeals), history events and the credit state, as frozen dataclasses, with the
checks every record must pass. Values only: no rules, no I/O (the rules are in monitor.credit.rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.errors import InputError
from monitor.messages import label

EVENT_KINDS = (
    "violation",
    "overturned",
    "recovery",
    "expiry",
    "repair",
    "blacklisted",
    "unblacklisted",
    "grade_change",
)
REPAIR_KINDS = ("repair", "early_removal")


@dataclass(frozen=True)
class ViolationRecord:
    """A confirmed violation as the store hands it over; times are timezone-aware."""

    id: int
    anchor_id: str
    category: str
    severity: str  # low | medium | high
    occurred_at: datetime
    overturned_at: datetime | None = None  # an appeal against it was upheld at this time


@dataclass(frozen=True)
class RepairRecord:
    """A granted application: `repair` (信用修复) or `early_removal` from the blacklist."""

    id: int
    anchor_id: str
    kind: str  # repair | early_removal
    granted_at: datetime


@dataclass(frozen=True)
class Overturn:
    """An upheld appeal: from `at` on, violation `violation_id` counts as never having happened."""

    violation_id: int
    at: datetime


@dataclass(frozen=True)
class CreditEvent:
    """One line of an anchor's credit history: what happened, and the score and grade after it."""

    at: datetime
    kind: str  # one of EVENT_KINDS
    delta: float
    score: float
    grade: str
    detail: str
    violation_id: int | None = None

    def to_dict(self) -> dict:
        return {
            "at": iso_z(self.at),
            "kind": self.kind,
            "kind_name": label("credit_event", self.kind),
            "delta": self.delta,
            "score": self.score,
            "grade": self.grade,
            "detail": self.detail,
            "violation_id": self.violation_id,
        }


@dataclass(frozen=True)
class CreditState:
    """An anchor's credit at one time; `restrictions` are ids, `restriction_texts` their text."""

    anchor_id: str
    score: float
    grade: str
    grade_name: str
    colour: str
    blacklisted: bool
    blacklisted_until: datetime | None
    restrictions: tuple[str, ...]
    history: tuple[CreditEvent, ...]
    restriction_texts: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()  # actions the restrictions stop: register, go_live
    policy_version: str = ""

    @property
    def may_go_live(self) -> bool:
        return "go_live" not in self.blocked

    @property
    def may_register(self) -> bool:
        return "register" not in self.blocked

    def to_dict(self) -> dict:
        """JSON-ready; times are ISO-8601 UTC with a Z."""
        return {
            "anchor_id": self.anchor_id,
            "score": self.score,
            "grade": self.grade,
            "grade_name": self.grade_name,
            "colour": self.colour,
            "blacklisted": self.blacklisted,
            "blacklisted_until": iso_z(self.blacklisted_until) if self.blacklisted_until else None,
            "restrictions": [
                {"id": rid, "text": text}
                for rid, text in zip(self.restrictions, self.restriction_texts, strict=False)
            ],
            "may_go_live": self.may_go_live,
            "may_register": self.may_register,
            "policy_version": self.policy_version,
            "history": [event.to_dict() for event in self.history],
        }


Event = ViolationRecord | Overturn | RepairRecord


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def check_record(record: ViolationRecord | RepairRecord, anchor_id: str) -> None:
    if record.anchor_id != anchor_id:
        raise InputError(
            f"record {record.id} belongs to anchor {record.anchor_id}, not {anchor_id}"
        )


def event_time(event: Event) -> datetime:
    if isinstance(event, ViolationRecord):
        return event.occurred_at
    if isinstance(event, RepairRecord):
        return event.granted_at
    if isinstance(event, Overturn):
        return event.at
    raise InputError(f"unknown credit event {event!r}")

"""Anchor credit as a pure function of an anchor's violations, upheld appeals, credit repairs and
time, under a CreditPolicy: score, colour grade, restrictions, blacklist, and the history behind
them. No I/O, no database, no clock: callers pass every record and the evaluation time.

The rules, in the order they apply (monitor/policies/README.md explains them for regulators):
- Time runs through due changes first, then the inputs at the same instant: violations, upheld
  appeals (overturns), repairs; ties by id. Due changes at one instant: blacklist end, expiries,
  recovery.
- A violation deducts policy points × category multiplier × repeat factor (factor ** earlier live
  same-category violations within the window, capped). It expires `expiry_days` later: what it
  still deducts comes back and it no longer aggravates or counts toward the blacklist.
- Recovery: on the shared recovery calendar (every `period_days` from 1970-01-01Z), an anchor with
  `clean_days` since the last violation and not blacklisted gets `points` back, newest deduction
  first, so that recovered points are never lost to an expiry that would have come anyway.
- Blacklisting is decided when a violation is recorded; it lasts `duration_days` from the latest
  trigger; early removal needs `early_removal_after_days` since that trigger; a repair granted
  while blacklisted has no effect.
- An overturned violation is as if it never happened for every evaluation at or after the
  overturn; earlier evaluations still show it, and the history shows both.
Scores are kept as whole millionths of a point, so sums are exact and independent of order; they
are rounded (half up) to 2 decimals for display, and grades and thresholds use the rounded score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from monitor.credit.inputs import Ledger
from monitor.credit.ledger import Snapshot
from monitor.credit.policy import CreditPolicy
from monitor.credit.records import (
    EVENT_KINDS,
    REPAIR_KINDS,
    CreditEvent,
    CreditState,
    Event,
    Overturn,
    RepairRecord,
    ViolationRecord,
    check_record,
    iso_z,
)
from monitor.credit.units import micros_of, moment_of
from monitor.errors import InputError

__all__ = [
    "EVENT_KINDS",
    "REPAIR_KINDS",
    "CreditEvent",
    "CreditFold",
    "CreditState",
    "Event",
    "Overturn",
    "RepairRecord",
    "ViolationRecord",
    "credit_at",
    "iso_z",
    "timeline",
]


def credit_at(
    policy: CreditPolicy,
    anchor_id: str,
    violations: Iterable[ViolationRecord],
    repairs: Iterable[RepairRecord],
    at: datetime,
    history: bool = True,
) -> CreditState:
    """The credit of `anchor_id` at `at`, from everything that happened up to and including `at`.

    `history=False` leaves the history empty, for bulk recomputation (same score and grade)."""
    ledger = Ledger(policy, anchor_id, record=history)
    for t, _, _, event in _timeline(anchor_id, violations, repairs, until=at):
        ledger.apply(event, t)
    ledger.advance(micros_of(at))
    return ledger.state()


def timeline(
    anchor_id: str,
    violations: Iterable[ViolationRecord],
    repairs: Iterable[RepairRecord],
    until: datetime | None = None,
) -> list[Event]:
    """The inputs of one anchor up to `until`, in the order the rules apply them: by time; at one
    instant violations, then overturns, then repairs; then by id. Feed these to CreditFold.apply."""
    return [event for *_, event in _timeline(anchor_id, violations, repairs, until)]


def _timeline(
    anchor_id: str,
    violations: Iterable[ViolationRecord],
    repairs: Iterable[RepairRecord],
    until: datetime | None,
) -> list[tuple[int, int, int, Event]]:
    """The timeline, each event keyed by (time in microseconds, rank at one instant, id)."""
    keyed: list[tuple[int, int, int, Event]] = []
    limit = None if until is None else micros_of(until)
    seen: set[int] = set()
    for v in violations:
        check_record(v, anchor_id)
        if v.id in seen:
            raise InputError(f"重复的违规编号 / violation id {v.id} appears twice")
        seen.add(v.id)
        occurred = micros_of(v.occurred_at)
        if limit is None or occurred <= limit:
            keyed.append((occurred, 0, v.id, v))
        if v.overturned_at is not None:
            overturned = micros_of(v.overturned_at)
            if overturned < occurred:
                raise InputError(f"violation {v.id}: overturned_at is before occurred_at")
            if limit is None or overturned <= limit:
                keyed.append((overturned, 1, v.id, Overturn(v.id, v.overturned_at)))
    seen.clear()
    for r in repairs:
        check_record(r, anchor_id)
        if r.id in seen:
            raise InputError(f"重复的修复编号 / repair id {r.id} appears twice")
        seen.add(r.id)
        granted = micros_of(r.granted_at)
        if limit is None or granted <= limit:
            keyed.append((granted, 2, r.id, r))
    keyed.sort(key=lambda item: item[:3])
    return keyed


@dataclass(frozen=True)
class CreditFold:
    """Credit kept up to date one event at a time: `apply` events in time order (as `timeline`
    gives them) and `advance` the clock; `state()` equals credit_at from scratch at `now`.

    An Overturn replays the anchor's remaining events from scratch up to the overturn (so that
    the violation, its aggravation of later ones and any blacklisting it caused all vanish) and
    keeps the history as it was, adding the overturn to it."""

    policy: CreditPolicy
    anchor_id: str
    snapshot: Snapshot

    @classmethod
    def initial(cls, policy: CreditPolicy, anchor_id: str) -> CreditFold:
        return cls(policy, anchor_id, Ledger(policy, anchor_id).snapshot())

    @property
    def now(self) -> datetime | None:
        return None if self.snapshot.now is None else moment_of(self.snapshot.now)

    def apply(self, event: Event) -> CreditFold:
        ledger = Ledger.restore(self.policy, self.anchor_id, self.snapshot)
        ledger.apply(event)
        return CreditFold(self.policy, self.anchor_id, ledger.snapshot())

    def advance(self, to: datetime) -> CreditFold:
        ledger = Ledger.restore(self.policy, self.anchor_id, self.snapshot)
        ledger.advance(micros_of(to))
        return CreditFold(self.policy, self.anchor_id, ledger.snapshot())

    def state(self) -> CreditState:
        return Ledger.restore(self.policy, self.anchor_id, self.snapshot).state()

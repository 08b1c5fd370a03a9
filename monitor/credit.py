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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import NamedTuple

from .credit_policy import CreditPolicy, Grade
from .errors import InputError

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
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_DAY = 86_400_000_000  # microseconds
_UNIT = 1_000_000  # a point, in the internal unit (a millionth of a point)
_SEVERITY_ZH = {"low": "轻微", "medium": "一般", "high": "严重"}


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
    ledger = _Ledger(policy, anchor_id, record=history)
    for t, _, _, event in _timeline(anchor_id, violations, repairs, until=at):
        ledger.apply(event, t)
    ledger.advance(_micros(at))
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
    limit = None if until is None else _micros(until)
    seen: set[int] = set()
    for v in violations:
        _check_record(v, anchor_id)
        if v.id in seen:
            raise InputError(f"重复的违规编号 / violation id {v.id} appears twice")
        seen.add(v.id)
        occurred = _micros(v.occurred_at)
        if limit is None or occurred <= limit:
            keyed.append((occurred, 0, v.id, v))
        if v.overturned_at is not None:
            overturned = _micros(v.overturned_at)
            if overturned < occurred:
                raise InputError(f"violation {v.id}: overturned_at is before occurred_at")
            if limit is None or overturned <= limit:
                keyed.append((overturned, 1, v.id, Overturn(v.id, v.overturned_at)))
    seen.clear()
    for r in repairs:
        _check_record(r, anchor_id)
        if r.id in seen:
            raise InputError(f"重复的修复编号 / repair id {r.id} appears twice")
        seen.add(r.id)
        granted = _micros(r.granted_at)
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
    snapshot: _Snapshot

    @classmethod
    def initial(cls, policy: CreditPolicy, anchor_id: str) -> CreditFold:
        return cls(policy, anchor_id, _Ledger(policy, anchor_id).snapshot())

    @property
    def now(self) -> datetime | None:
        return None if self.snapshot.now is None else _moment(self.snapshot.now)

    def apply(self, event: Event) -> CreditFold:
        ledger = _Ledger.restore(self.policy, self.anchor_id, self.snapshot)
        ledger.apply(event)
        return CreditFold(self.policy, self.anchor_id, ledger.snapshot())

    def advance(self, to: datetime) -> CreditFold:
        ledger = _Ledger.restore(self.policy, self.anchor_id, self.snapshot)
        ledger.advance(_micros(to))
        return CreditFold(self.policy, self.anchor_id, ledger.snapshot())

    def state(self) -> CreditState:
        return _Ledger.restore(self.policy, self.anchor_id, self.snapshot).state()


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(f"时间须带时区 / time {moment.isoformat()} has no timezone (use UTC)")
    return (moment - _EPOCH) // _MICROSECOND


def _event_time(event: Event) -> datetime:
    if isinstance(event, ViolationRecord):
        return event.occurred_at
    if isinstance(event, RepairRecord):
        return event.granted_at
    if isinstance(event, Overturn):
        return event.at
    raise InputError(f"unknown credit event {event!r}")


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _check_record(record: ViolationRecord | RepairRecord, anchor_id: str) -> None:
    if record.anchor_id != anchor_id:
        raise InputError(
            f"record {record.id} belongs to anchor {record.anchor_id}, not {anchor_id}"
        )


def _points(units: int) -> str:
    return f"{round(units / _UNIT, 2):g}"


def _violation_text(v: ViolationRecord, deducted: int, factor: float | None) -> str:
    points = _points(deducted)
    repeat = (f"（重复 ×{factor:g}）", f" (repeat ×{factor:g})") if factor else ("", "")
    return (
        f"违规 #{v.id}（{v.category}，{_SEVERITY_ZH[v.severity]}）扣 {points} 分{repeat[0]} / "
        f"violation #{v.id} ({v.category}, {v.severity}): -{points} points{repeat[1]}"
    )


@dataclass(frozen=True)
class _Rules:
    """The policy in the ledger's units: microseconds and millionths of a point."""

    start: int
    base: dict[tuple[str, str], float]
    factors: tuple[float, ...]  # repeat factor by number of earlier same-category violations
    repeat_window: int
    clean: int
    period: int
    recovery_points: int
    expiry: int
    high_count: int
    high_window: int
    score_below: float
    blacklist_for: int
    early_removal_after: int
    repair_fraction: Fraction
    repair_age: int

    @classmethod
    def of(cls, policy: CreditPolicy) -> _Rules:
        repeat = policy.repeat
        factors = [1.0]
        while factors[-1] < repeat.cap and repeat.factor > 1:
            factors.append(min(repeat.cap, factors[-1] * repeat.factor))
        blacklist = policy.blacklist
        return cls(
            start=round(policy.start_score * _UNIT),
            base={
                (category, severity): policy.base_deduction(category, severity)
                for category in policy.category_multipliers
                for severity in policy.deductions
            },
            factors=tuple(factors),
            repeat_window=repeat.window_days * _DAY,
            clean=policy.recovery.clean_days * _DAY,
            period=policy.recovery.period_days * _DAY,
            recovery_points=round(policy.recovery.points * _UNIT),
            expiry=policy.expiry_days * _DAY,
            high_count=blacklist.high_severity_count,
            high_window=blacklist.high_severity_window_days * _DAY,
            score_below=blacklist.score_below,
            blacklist_for=blacklist.duration_days * _DAY,
            early_removal_after=blacklist.early_removal_after_days * _DAY,
            repair_fraction=Fraction(str(policy.repair.fraction)),
            repair_age=policy.repair.min_age_days * _DAY,
        )


_RULES: dict[int, tuple[CreditPolicy, _Rules]] = {}


def _rules_of(policy: CreditPolicy) -> _Rules:
    cached = _RULES.get(id(policy))
    if cached is None or cached[0] is not policy:
        if len(_RULES) > 64:
            _RULES.clear()
        cached = _RULES[id(policy)] = (policy, _Rules.of(policy))
    return cached[1]


class _Live(NamedTuple):
    """A violation that still counts: what it deducted and what of that is still outstanding."""

    violation_id: int
    category: str
    severity: str
    at: int
    expires: int
    deducted: int
    outstanding: int


class _Snapshot(NamedTuple):
    now: int | None
    live: tuple[_Live, ...]
    owed: int
    last_violation: int | None
    listed_at: int | None
    until: int | None
    applied: tuple[ViolationRecord | RepairRecord, ...]
    history: tuple[CreditEvent, ...]
    grade: str


class _Ledger:
    """The mutable working state of one evaluation; never leaves this module."""

    def __init__(self, policy: CreditPolicy, anchor_id: str, record: bool = True) -> None:
        self.policy = policy
        self.rules = _rules_of(policy)
        self.anchor_id = anchor_id
        self.record = record  # keep a history (replays after an overturn and bulk runs do not)
        self.now: int | None = None
        self.live: list[_Live] = []  # in the order applied, which is time order
        self.owed = 0  # sum of outstanding
        self.last_violation: int | None = None
        self.listed_at: int | None = None  # the latest blacklisting decision
        self.until: int | None = None  # set while blacklisted
        self.applied: list[ViolationRecord | RepairRecord] = []
        self.seen: set[tuple[type, int]] = set()
        self.history: list[CreditEvent] = []
        self.grade: Grade = policy.grade_for(self.score())

    @classmethod
    def restore(cls, policy: CreditPolicy, anchor_id: str, snapshot: _Snapshot) -> _Ledger:
        ledger = cls(policy, anchor_id)
        ledger.now, ledger.owed = snapshot.now, snapshot.owed
        ledger.last_violation = snapshot.last_violation
        ledger.listed_at, ledger.until = snapshot.listed_at, snapshot.until
        ledger.live = list(snapshot.live)
        ledger.applied = list(snapshot.applied)
        ledger.seen = {(type(a), a.id) for a in snapshot.applied}
        ledger.history = list(snapshot.history)
        ledger.grade = next(g for g in policy.grades if g.id == snapshot.grade)
        return ledger

    def snapshot(self) -> _Snapshot:
        return _Snapshot(
            self.now,
            tuple(self.live),
            self.owed,
            self.last_violation,
            self.listed_at,
            self.until,
            tuple(self.applied),
            tuple(self.history),
            self.grade.id,
        )

    def centi(self, owed: int | None = None) -> int:
        """The score (when `owed` is deducted) in hundredths of a point, rounded half up."""
        owed = self.owed if owed is None else owed
        return (max(0, self.rules.start - owed) + _UNIT // 200) // (_UNIT // 100)

    def score(self) -> float:
        return self.centi() / 100

    def state(self) -> CreditState:
        score = self.score()
        grade = self.policy.grade_for(score)
        chosen = list(grade.restrictions)
        if self.until is not None:
            chosen += self.policy.blacklist.restrictions
        unique = list({r.id: r for r in chosen}.values())
        return CreditState(
            anchor_id=self.anchor_id,
            score=score,
            grade=grade.id,
            grade_name=grade.name,
            colour=grade.colour,
            blacklisted=self.until is not None,
            blacklisted_until=None if self.until is None else _moment(self.until),
            restrictions=tuple(r.id for r in unique),
            history=tuple(self.history),
            restriction_texts=tuple(r.text for r in unique),
            blocked=tuple(dict.fromkeys(a for r in unique for a in r.blocks)),
            policy_version=self.policy.version,
        )

    # -- time -----------------------------------------------------------------------------------

    def advance(self, to: int) -> None:
        """Apply every change due at or before `to`: blacklist end, expiries, recovery dates."""
        if self.now is not None and to < self.now:
            raise InputError("不能倒退时间 / cannot advance to a time before the last event")
        while True:
            due = self._next_due()
            if due is None or due > to:
                break
            self.now = due
            self._run_due(due, to)
        self.now = to

    def _next_due(self) -> int | None:
        rules = self.rules
        due = self.until
        if self.live and (due is None or self.live[0].expires < due):
            due = self.live[0].expires
        if self.owed > 0 and rules.recovery_points > 0:
            earliest = max(self.now + 1, self.last_violation + rules.clean)
            if self.until is not None:
                earliest = max(earliest, self.until)
            tick = -(-earliest // rules.period) * rules.period
            if due is None or tick < due:
                due = tick
        return due

    def _run_due(self, t: int, to: int) -> None:
        if self.until is not None and self.until <= t:
            self.until = None
            self._note(t, "unblacklisted", self.owed, lambda: "黑名单期满 / blacklisting ended")
        while self.live and self.live[0].expires <= t:
            self._expire(t, self.live.pop(0))
        if self._recovery_due(t):
            self._recover(t, to)

    def _expire(self, t: int, gone: _Live) -> None:
        before = self.owed
        self.owed -= gone.outstanding
        days, vid = self.rules.expiry // _DAY, gone.violation_id
        self._note(
            t,
            "expiry",
            before,
            lambda: (
                f"违规 #{vid} 已满 {days} 天，不再计入，未恢复的 {_points(gone.outstanding)} 分退回"
                f" / violation #{vid} is {days} days old and no longer counts: "
                f"{_points(gone.outstanding)} points back"
            ),
            vid,
        )

    def _recovery_due(self, t: int) -> bool:
        return (
            self.owed > 0
            and self.rules.recovery_points > 0
            and t % self.rules.period == 0
            and self.until is None
            and t - self.last_violation >= self.rules.clean
        )

    def _recover(self, t: int, to: int) -> None:
        """Recovery points back, newest deduction first. Without a history, every recovery date
        before the next expiry (and up to `to`) is taken at once: the same sum, the same order."""
        period, dates = self.rules.period, 1
        if not self.record:
            end = min(to, self.live[0].expires - 1) if self.live else to
            dates = (end - t) // period + 1
            self.now = t + (dates - 1) * period
        before = self.owed
        back = left = min(self.rules.recovery_points * dates, self.owed)
        self.owed -= left
        for i in range(len(self.live) - 1, -1, -1):
            item = self.live[i]
            take = min(left, item.outstanding)
            if take:
                self.live[i] = item._replace(outstanding=item.outstanding - take)
                left -= take
                if left == 0:
                    break
        days = (t - self.last_violation) // _DAY
        self._note(
            t,
            "recovery",
            before,
            lambda: (
                f"连续 {days} 天无违规，恢复 {_points(back)} 分 / no violation for {days} days:"
                f" {_points(back)} points back"
            ),
        )

    # -- inputs ---------------------------------------------------------------------------------

    def apply(self, event: Event, t: int | None = None) -> None:
        """Apply one input at its time `t` (computed and checked here unless the caller did)."""
        if t is None:
            t = _micros(_event_time(event))
            if not isinstance(event, Overturn):
                _check_record(event, self.anchor_id)
        if self.now is not None and t < self.now:
            raise InputError("事件须按时间顺序 / events must be applied in time order")
        if isinstance(event, Overturn):
            self.advance(t)
            self._overturn(event, t)
            return
        key = (type(event), event.id)
        if key in self.seen:
            raise InputError(f"{type(event).__name__} {event.id} was applied twice")
        self.advance(t)
        self.seen.add(key)
        self.applied.append(event)
        if isinstance(event, ViolationRecord):
            self._violation(event, t)
        else:
            self._repair(event, t)

    def _violation(self, v: ViolationRecord, t: int) -> None:
        rules, category = self.rules, v.category
        base = rules.base.get((category, v.severity))
        if base is None:
            raise InputError(
                f"violation {v.id}: unknown category '{category}' or severity '{v.severity}'"
            )
        since = t - rules.repeat_window
        earlier = 0
        for d in self.live:
            if d.category == category and d.at >= since:
                earlier += 1
        factor = rules.factors[min(earlier, len(rules.factors) - 1)]
        deducted = round(base * factor * _UNIT)
        before = self.owed
        self.live.append(
            _Live(v.id, v.category, v.severity, t, t + rules.expiry, deducted, deducted)
        )
        self.owed += deducted
        self.last_violation = t
        shown = factor if earlier else None
        self._note(t, "violation", before, lambda: _violation_text(v, deducted, shown), v.id)
        self._check_blacklist(v, t)

    def _check_blacklist(self, v: ViolationRecord, t: int) -> None:
        rules = self.rules
        reasons = []
        if v.severity == "high" and rules.high_count > 0:
            since = t - rules.high_window
            highs = sum(1 for d in self.live if d.severity == "high" and d.at >= since)
            if highs >= rules.high_count:
                days = rules.high_window // _DAY
                reasons.append(
                    (
                        f"{days} 天内 {highs} 次严重违规",
                        f"{highs} high-severity violations in {days} days",
                    )
                )
        if self.score() < rules.score_below:
            reasons.append(
                (f"信用分低于 {rules.score_below:g}", f"score below {rules.score_below:g}")
            )
        if not reasons:
            return
        again = self.until is not None
        self.listed_at, self.until = t, t + rules.blacklist_for
        until = _moment(self.until).date().isoformat()
        self._note(
            t,
            "blacklisted",
            self.owed,
            lambda: (
                f"{'重新' if again else ''}列入黑名单至 {until}：{'；'.join(r[0] for r in reasons)}"
                f" / {'re' if again else ''}blacklisted until {until}: "
                + "; ".join(r[1] for r in reasons)
            ),
            v.id,
        )

    def _repair(self, r: RepairRecord, t: int) -> None:
        if r.kind not in REPAIR_KINDS:
            raise InputError(f"repair {r.id}: kind must be one of {', '.join(REPAIR_KINDS)}")
        if r.kind == "early_removal":
            self._early_removal(t)
        elif self.until is not None:
            self._note(
                t,
                "repair",
                self.owed,
                lambda: (
                    "列入黑名单期间不适用信用修复（浙江省公共信用信息管理条例第三十二条第二款）"
                    " / credit repair does not apply while blacklisted"
                ),
            )
        else:
            self._restore(t)

    def _restore(self, t: int) -> None:
        rules = self.rules
        cutoff = t - rules.repair_age
        before = self.owed
        restored = 0
        for i, item in enumerate(self.live):
            if item.at > cutoff:
                break
            give = item.outstanding * rules.repair_fraction.numerator
            give //= rules.repair_fraction.denominator
            if give:
                self.live[i] = item._replace(outstanding=item.outstanding - give)
                restored += give
        self.owed -= restored
        days, share = rules.repair_age // _DAY, f"{float(rules.repair_fraction) * 100:g}%"
        self._note(
            t,
            "repair",
            before,
            lambda: (
                f"信用修复：满 {days} 天的违规退回未恢复扣分的 {share}，共 {_points(restored)} 分"
                f" / credit repair: {share} of what violations older than {days} days still deduct,"
                f" {_points(restored)} points"
            ),
        )

    def _early_removal(self, t: int) -> None:
        days = self.rules.early_removal_after // _DAY
        if self.until is None:
            detail = "未在黑名单中，无需移出 / not blacklisted: nothing to remove"
        elif t - self.listed_at < self.rules.early_removal_after:
            since = _moment(self.listed_at).date().isoformat()
            detail = (
                f"自 {since} 列入未满 {days} 天，不能提前移出 / listed on {since}, less than "
                f"{days} days ago: early removal not applicable"
            )
        else:
            self.until = None
            self._note(t, "unblacklisted", self.owed, lambda: "申请获准，提前移出 / removed early")
            return
        self._note(t, "repair", self.owed, lambda: detail)

    def _overturn(self, o: Overturn, t: int) -> None:
        """Replay everything applied except the violation, up to now; keep the history."""
        key = (ViolationRecord, o.violation_id)
        if key not in self.seen:
            raise InputError(
                f"申诉对应的违规 #{o.violation_id} 不在记录中 / overturn of violation "
                f"{o.violation_id}, which is not (or no longer) in this anchor's record"
            )
        before, was_until = self.owed, self.until
        replay = _Ledger(self.policy, self.anchor_id, record=False)
        for item in self.applied:
            if (type(item), item.id) != key:
                replay.apply(item)
        replay.advance(t)
        self.live, self.owed = replay.live, replay.owed
        self.applied, self.seen = replay.applied, replay.seen
        self.last_violation, self.listed_at, self.until = (
            replay.last_violation,
            replay.listed_at,
            replay.until,
        )
        vid = o.violation_id
        self._note(
            t,
            "overturned",
            before,
            lambda: (
                f"申诉成立，违规 #{vid} 撤销，视为未发生 / appeal upheld: violation #{vid} is"
                " void, as if it never happened"
            ),
            vid,
        )
        if was_until is not None and self.until is None:
            self._note(
                t,
                "unblacklisted",
                self.owed,
                lambda: "列入依据已撤销 / the listing rested on the overturned violation",
                vid,
            )
        elif was_until != self.until and self.until is not None:
            until = _moment(self.until).date().isoformat()
            self._note(
                t,
                "blacklisted",
                self.owed,
                lambda: f"黑名单期限改为至 {until} / blacklisting now ends {until}",
                vid,
            )

    # -- history --------------------------------------------------------------------------------

    def _note(
        self,
        t: int,
        kind: str,
        before: int,
        detail: Callable[[], str],
        violation_id: int | None = None,
    ) -> None:
        """Record an event (the score change since `before` was owed) and any grade change; the
        detail is only written when a history is kept."""
        if not self.record:
            return
        after, before = self.centi(), self.centi(before)
        grade = self.policy.grade_for(after / 100)
        moment = _moment(t)
        delta, score = (after - before) / 100, after / 100
        self.history.append(
            CreditEvent(moment, kind, delta, score, grade.id, detail(), violation_id)
        )
        if grade.id != self.grade.id:
            change = f"等级 {self.grade.zh} → {grade.zh} / grade {self.grade.id} → {grade.id}"
            self.history.append(
                CreditEvent(moment, "grade_change", 0.0, score, grade.id, change, violation_id)
            )
            self.grade = grade

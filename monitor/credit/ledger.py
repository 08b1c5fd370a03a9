"""The working state of one credit evaluation (internal to monitor.credit.rules): what still deducts,
the blacklisting, the history, the snapshot a CreditFold keeps, and what time alone does to them
(blacklist end, expiries, recovery). The inputs are applied in monitor.credit.inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Self

from monitor.credit.policy import CreditPolicy, Grade
from monitor.credit.records import CreditEvent, CreditState, RepairRecord, ViolationRecord
from monitor.credit.units import DAY, UNIT, moment_of, points_text, rules_of
from monitor.errors import InputError


class Live(NamedTuple):
    """A violation that still counts: what it deducted and what of that is still outstanding."""

    violation_id: int
    category: str
    severity: str
    at: int
    expires: int
    deducted: int
    outstanding: int


class Snapshot(NamedTuple):
    now: int | None
    live: tuple[Live, ...]
    owed: int
    last_violation: int | None
    listed_at: int | None
    until: int | None
    applied: tuple[ViolationRecord | RepairRecord, ...]
    history: tuple[CreditEvent, ...]
    grade: str


class LedgerState:
    """The mutable working state of one evaluation; never leaves monitor.credit.rules. Time only: the
    inputs are applied by its subclass, credit_inputs.Ledger."""

    def __init__(self, policy: CreditPolicy, anchor_id: str, record: bool = True) -> None:
        self.policy = policy
        self.rules = rules_of(policy)
        self.anchor_id = anchor_id
        self.record = record  # keep a history (replays after an overturn and bulk runs do not)
        self.now: int | None = None
        self.live: list[Live] = []  # in the order applied, which is time order
        self.owed = 0  # sum of outstanding
        self.last_violation: int | None = None
        self.listed_at: int | None = None  # the latest blacklisting decision
        self.until: int | None = None  # set while blacklisted
        self.applied: list[ViolationRecord | RepairRecord] = []
        self.seen: set[tuple[type, int]] = set()
        self.history: list[CreditEvent] = []
        self.grade: Grade = policy.grade_for(self.score())

    @classmethod
    def restore(cls, policy: CreditPolicy, anchor_id: str, snapshot: Snapshot) -> Self:
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

    def snapshot(self) -> Snapshot:
        return Snapshot(
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
        return (max(0, self.rules.start - owed) + UNIT // 200) // (UNIT // 100)

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
            blacklisted_until=None if self.until is None else moment_of(self.until),
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

    def _expire(self, t: int, gone: Live) -> None:
        before = self.owed
        self.owed -= gone.outstanding
        days, vid = self.rules.expiry // DAY, gone.violation_id
        self._note(
            t,
            "expiry",
            before,
            lambda: (
                f"违规 #{vid} 已满 {days} 天，不再计入，未恢复的 {points_text(gone.outstanding)} 分退回"
                f" / violation #{vid} is {days} days old and no longer counts: "
                f"{points_text(gone.outstanding)} points back"
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
        days = (t - self.last_violation) // DAY
        self._note(
            t,
            "recovery",
            before,
            lambda: (
                f"连续 {days} 天无违规，恢复 {points_text(back)} 分 / no violation for {days} days:"
                f" {points_text(back)} points back"
            ),
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
        moment = moment_of(t)
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

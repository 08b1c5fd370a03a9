"""The credit rules for inputs (internal to monitor.credit.rules): a violation's deduction and any
blacklisting it triggers, credit repair, early removal from the blacklist, and an upheld appeal.
"""

from __future__ import annotations

from monitor.credit.ledger import LedgerState, Live
from monitor.credit.records import (
    REPAIR_KINDS,
    Event,
    Overturn,
    RepairRecord,
    ViolationRecord,
    check_record,
    event_time,
)
from monitor.credit.units import DAY, UNIT, micros_of, moment_of, points_text
from monitor.errors import InputError
from monitor.messages import words


def _violation_text(v: ViolationRecord, deducted: int, factor: float | None) -> str:
    points = points_text(deducted)
    repeat = (f"（重复 ×{factor:g}）", f" (repeat ×{factor:g})") if factor else ("", "")
    category, severity = words("category", v.category), words("severity", v.severity)
    return (
        f"违规 #{v.id}（{category.zh}，{severity.zh}）扣 {points} 分{repeat[0]} / "
        f"violation #{v.id} ({category.en}, {severity.en}): -{points} points{repeat[1]}"
    )


class Ledger(LedgerState):
    """The ledger that also takes the inputs: violations, repairs and overturns, in time order."""

    def apply(self, event: Event, t: int | None = None) -> None:
        """Apply one input at its time `t` (computed and checked here unless the caller did)."""
        if t is None:
            t = micros_of(event_time(event))
            if not isinstance(event, Overturn):
                check_record(event, self.anchor_id)
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
        deducted = round(base * factor * UNIT)
        before = self.owed
        self.live.append(
            Live(v.id, v.category, v.severity, t, t + rules.expiry, deducted, deducted)
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
                days = rules.high_window // DAY
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
        until = moment_of(self.until).date().isoformat()
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
        days, share = rules.repair_age // DAY, f"{float(rules.repair_fraction) * 100:g}%"
        self._note(
            t,
            "repair",
            before,
            lambda: (
                f"信用修复：满 {days} 天的违规退回未恢复扣分的 {share}，共 {points_text(restored)} 分"
                f" / credit repair: {share} of what violations older than {days} days still deduct,"
                f" {points_text(restored)} points"
            ),
        )

    def _early_removal(self, t: int) -> None:
        days = self.rules.early_removal_after // DAY
        if self.until is None:
            detail = "未在黑名单中，无需移出 / not blacklisted: nothing to remove"
        elif t - self.listed_at < self.rules.early_removal_after:
            since = moment_of(self.listed_at).date().isoformat()
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
        replay = Ledger(self.policy, self.anchor_id, record=False)
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
            until = moment_of(self.until).date().isoformat()
            self._note(
                t,
                "blacklisted",
                self.owed,
                lambda: f"黑名单期限改为至 {until} / blacklisting now ends {until}",
                vid,
            )

"""Anchor credit under a policy written here (RULES, so that a change to the shipped policy's
numbers does not break these rule tests): the rules' numbers, the shipped file's validation, and
properties over random histories (adding a violation never helps, time never hurts, an upheld appeal restores exactly
what the violation took, the incremental fold equals the computation from scratch)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.credit.policy import (
    PolicyError,
    default_policy_path,
    known_categories,
    load_policy,
    parse_policy,
)
from monitor.credit.rules import CreditFold, RepairRecord, ViolationRecord, credit_at, timeline
from monitor.errors import InputError

# The rules under test, with their own numbers (shaped as monitor/policies/credit.yaml).
RULES = """
version: test
start_score: 100
deductions: {low: 3, medium: 6, high: 12}
repeat: {window_days: 180, factor: 1.5, cap: 3.0}
recovery: {clean_days: 90, period_days: 30, points: 2}
expiry: {after_days: 365}
grades:
  - {id: green, min_score: 90, zh: 绿色·正常, en: Green · good standing, colour: "#2E7D32",
     restrictions: []}
  - id: yellow
    min_score: 80
    zh: 黄色·警示
    en: Yellow · warning
    colour: "#F9A825"
    restrictions:
      - {id: warning_notice, zh: 警示提醒, en: warned}
  - id: orange
    min_score: 60
    zh: 橙色·重点监管
    en: Orange · close supervision
    colour: "#EF6C00"
    restrictions:
      - {id: script_preapproval, zh: 话术须事先审核, en: scripts approved in advance}
      - {id: full_stream_monitoring, zh: 全程监测, en: every stream monitored}
  - id: red
    min_score: 0
    zh: 红色·暂停直播
    en: Red · suspended
    colour: "#C62828"
    restrictions:
      - {id: live_suspended, zh: 暂停开播, en: suspended, blocks: [go_live]}
blacklist:
  triggers:
    high_severity: {count: 3, window_days: 365}
    score_below: 52
  duration_days: 1095
  early_removal_after_days: 365
  restrictions:
    - {id: no_registration, zh: 不得注册, en: may not register, blocks: [register]}
    - {id: no_live, zh: 不得开播, en: may not go live, blocks: [go_live]}
repair: {fraction: 0.5, min_age_days: 180}
disclosure:
  grade_public: true
  blacklist_after_end_days: 0
  violation_days: {low: 90, medium: 1095, high: 1095}
  record_retention_days: 1825
  withdraw_within_working_days: 3
scripts: {valid_days: 30}
unregistered: {may_go_live: true}
"""
# Every category weighs 1 but those the tests use.
MULTIPLIERS = {
    "absolute_terms": 0.75,
    "medical_claims": 1.5,
    "price_fraud": 1.25,
    "false_efficacy": 1.25,
    "quality_origin_claims": 1.25,
}


def rules_policy():
    raw = yaml.safe_load(RULES)
    raw["category_multipliers"] = {c: MULTIPLIERS.get(c, 1.0) for c in known_categories()}
    return parse_policy(raw, known_categories(), "test policy")


POLICY = rules_policy()
CATEGORIES = tuple(POLICY.category_multipliers)
SEVERITIES = ("low", "medium", "high")
ANCHOR = "anchor-1"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A recovery date of RULES: recovery dates are every 30 days counted from the epoch.
DAY0 = datetime(2025, 1, 12, tzinfo=UTC)
PROPERTY = settings(max_examples=200, deadline=None)


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


def violation(vid, at, category="medical_claims", severity="high", overturned_at=None):
    return ViolationRecord(vid, ANCHOR, category, severity, at, overturned_at)


def event_time(event) -> datetime:
    if isinstance(event, ViolationRecord):
        return event.occurred_at
    return event.granted_at if isinstance(event, RepairRecord) else event.at


def credit(violations, at, repairs=()):
    return credit_at(POLICY, ANCHOR, violations, repairs, at)


def test_day0_is_a_recovery_date():
    assert (DAY0 - EPOCH).days % POLICY.recovery.period_days == 0


# -- deductions ---------------------------------------------------------------------------------


def test_a_first_high_medical_claim_deducts_twelve_times_one_and_a_half():
    state = credit([violation(1, day(0))], day(0))
    assert state.score == 100 - 12 * 1.5 == 82.0
    assert state.history[0].kind == "violation"
    assert state.history[0].delta == -18.0


def test_a_repeat_of_the_same_category_within_the_window_deducts_one_and_a_half_times_more():
    state = credit([violation(1, day(0)), violation(2, day(10))], day(10))
    assert state.score == 100 - 18 - 27


def test_a_violation_of_another_category_is_not_aggravated():
    state = credit([violation(1, day(0)), violation(2, day(10), "price_fraud")], day(10))
    assert state.score == 100 - 18 - 12 * 1.25


def test_the_repeat_window_is_a_hundred_and_eighty_days():
    first = violation(1, day(0), severity="low")  # 4.5 points, all back by day 150
    assert credit([first, violation(2, day(180), severity="low")], day(180)).score == 100 - 6.75
    assert credit([first, violation(2, day(181), severity="low")], day(181)).score == 100 - 4.5


def test_repeat_aggravation_is_capped():
    lows = [violation(i, day(i), "absolute_terms", "low") for i in range(1, 6)]
    # 2.25 × (1, 1.5, 2.25, 3, 3): the fourth and fifth are capped at ×3
    assert credit(lows, day(5)).score == round(100 - 2.25 * (1 + 1.5 + 2.25 + 3 + 3), 2) == 75.81


# -- recovery and expiry ------------------------------------------------------------------------


def test_points_come_back_on_the_first_recovery_date_after_ninety_clean_days():
    violations = [violation(1, day(0))]
    assert credit(violations, day(90) - timedelta(seconds=1)).score == 82.0
    assert credit(violations, day(90)).score == 84.0
    assert credit(violations, day(150)).score == 88.0


def test_recovery_never_gives_back_more_than_was_deducted():
    assert credit([violation(1, day(0), "absolute_terms", "low")], day(300)).score == 100.0


def test_a_violation_stops_counting_a_year_after_it_occurred():
    violations = [violation(1, day(0)), violation(2, day(300), "absolute_terms", "low")]
    # recovery dates 90, 120 … 300 gave 16 of the first 18 points back; then the clock restarted
    assert credit(violations, day(365) - timedelta(seconds=1)).score == 100 - 2 - 2.25
    expired = credit(violations, day(365))
    assert expired.score == 100 - 2.25
    assert expired.history[-1].kind == "expiry"
    assert expired.history[-1].violation_id == 1


# -- grades -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "score, grade",
    [
        (100, "green"),
        (90, "green"),
        (89.99, "yellow"),
        (80, "yellow"),
        (79.99, "orange"),
        (60, "orange"),
        (59.99, "red"),
        (0, "red"),
    ],
)
def test_grade_thresholds(score, grade):
    assert POLICY.grade_for(score).id == grade


def test_orange_anchors_need_approved_scripts_and_every_stream_is_monitored():
    state = credit([violation(1, day(0)), violation(2, day(1), "price_fraud")], day(1))
    assert state.score == 100 - 18 - 15 and state.grade == "orange"
    assert state.restrictions == ("script_preapproval", "full_stream_monitoring")
    assert state.may_go_live
    assert state.grade_name == "橙色·重点监管 / Orange · close supervision"


def test_red_anchors_may_not_go_live():
    state = credit([violation(1, day(0)), violation(2, day(1))], day(1))
    assert state.score == 55.0 and state.grade == "red" and not state.blacklisted
    assert "live_suspended" in state.restrictions
    assert not state.may_go_live and state.may_register


# -- blacklist ----------------------------------------------------------------------------------

THREE_HIGHS = [
    violation(1, day(0), "price_fraud"),
    violation(2, day(100), "false_efficacy"),
    violation(3, day(200), "quality_origin_claims"),
]


def test_three_high_severity_violations_within_a_year_blacklist_for_three_years():
    state = credit(THREE_HIGHS, day(200))
    assert state.blacklisted
    assert state.blacklisted_until == day(200 + 1095)
    assert {"no_registration", "no_live"} <= set(state.restrictions)
    assert not state.may_register and not state.may_go_live
    assert credit(THREE_HIGHS[:2], day(200)).blacklisted is False


def test_the_blacklisting_ends_on_its_end_date():
    assert credit(THREE_HIGHS, day(1295) - timedelta(seconds=1)).blacklisted
    ended = credit(THREE_HIGHS, day(1295))
    assert not ended.blacklisted and ended.blacklisted_until is None
    assert "unblacklisted" in [e.kind for e in ended.history]


def test_a_score_below_the_threshold_blacklists():
    mediums = [violation(i, day(i), severity="medium") for i in range(1, 5)]
    state = credit(mediums, day(4))
    assert state.score == 100 - 9 * (1 + 1.5 + 2.25 + 3)
    assert state.blacklisted
    assert "信用分低于 52" in next(e.detail for e in state.history if e.kind == "blacklisted")


def test_no_recovery_while_blacklisted():
    # without the blacklisting, recovery dates 290, 320 and 350 would give 6 points back
    assert credit(THREE_HIGHS, day(364)).score == credit(THREE_HIGHS, day(200)).score == 57.0
    assert (
        credit(
            THREE_HIGHS[1:],
            day(364),
        ).score
        == 100 - 30 + 6
    )


def test_early_removal_needs_a_year_on_the_list():
    too_soon = RepairRecord(1, ANCHOR, "early_removal", day(500))
    state = credit(THREE_HIGHS, day(520), [too_soon])
    assert state.blacklisted
    assert "不能提前移出" in state.history[-1].detail


def test_early_removal_after_a_year_ends_the_blacklisting_and_recovery_resumes():
    violations = [*THREE_HIGHS, violation(4, day(400), "absolute_terms", "low")]
    granted = RepairRecord(1, ANCHOR, "early_removal", day(570))
    state = credit(violations, day(570), [granted])
    assert not state.blacklisted and state.history[-1].kind == "unblacklisted"
    assert credit(violations, day(600), [granted]).score == state.score + 2
    assert credit(violations, day(600)).score == state.score


# -- repair -------------------------------------------------------------------------------------


def test_a_granted_repair_restores_half_of_what_older_violations_still_deduct():
    violations = [violation(1, day(0)), violation(2, day(175), "absolute_terms", "low")]
    repair = RepairRecord(1, ANCHOR, "repair", day(180))
    before = credit(violations, day(180))
    after = credit(violations, day(180), [repair])
    # recovery dates 90 … 150 gave 6 of the first violation's 18 back; the second is too recent
    assert before.score == 100 - 12 - 2.25
    assert after.score == before.score + 6
    assert [e.kind for e in after.history[-2:]] == ["repair", "grade_change"]


def test_a_repair_granted_while_blacklisted_has_no_effect():
    repair = RepairRecord(1, ANCHOR, "repair", day(400))
    state = credit(THREE_HIGHS, day(400), [repair])
    assert state.score == credit(THREE_HIGHS, day(400)).score
    assert "不适用信用修复" in state.history[-1].detail


# -- time and appeals ---------------------------------------------------------------------------


def test_evaluating_in_the_past_ignores_later_events():
    violations = [violation(1, day(10), overturned_at=day(20))]
    assert credit(violations, day(5)).score == 100 and credit(violations, day(5)).history == ()
    assert credit(violations, day(15)).score == 82.0
    assert credit(violations, day(25)).score == 100


def test_an_upheld_appeal_shows_in_the_history_and_lifts_the_blacklisting():
    overturned = [*THREE_HIGHS[:2], replace(THREE_HIGHS[2], overturned_at=day(210))]
    state = credit(overturned, day(210))
    assert not state.blacklisted
    assert [e.kind for e in state.history[-3:]] == ["overturned", "grade_change", "unblacklisted"]
    assert state.score == credit(THREE_HIGHS[:2], day(210)).score


def test_state_to_dict_is_json_with_utc_times():
    data = credit(THREE_HIGHS, day(200)).to_dict()
    assert data["blacklisted_until"] == "2028-07-30T00:00:00Z"
    assert data["history"][0]["at"] == "2025-01-12T00:00:00Z"
    assert data["restrictions"][0]["text"].count(" / ") == 1
    json.dumps(data, ensure_ascii=False)


def test_naive_times_and_foreign_records_are_refused():
    with pytest.raises(InputError, match="timezone"):
        credit([violation(1, datetime(2025, 1, 1))], day(0))
    with pytest.raises(InputError, match="anchor"):
        credit([replace(violation(1, day(0)), anchor_id="someone-else")], day(0))
    with pytest.raises(InputError, match="unknown category"):
        credit([violation(1, day(0), "gambling")], day(0))


def test_the_fold_refuses_events_out_of_order():
    fold = CreditFold.initial(POLICY, ANCHOR).apply(violation(2, day(10)))
    with pytest.raises(InputError, match="time order"):
        fold.apply(violation(1, day(5)))


# -- policy validation --------------------------------------------------------------------------


def write_policy(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "credit.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_policy_is_valid_and_versioned():
    shipped = load_policy()
    assert shipped.version
    assert set(shipped.category_multipliers) == set(known_categories())


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda raw: raw.pop("expiry"), "missing key 'expiry'"),
        (lambda raw: raw["deductions"].update(critical=20), "unknown severity 'critical'"),
        (lambda raw: raw["deductions"].pop("low"), "missing severity 'low'"),
        (lambda raw: raw["category_multipliers"].update(gambling=2), "unknown category 'gambling'"),
        (lambda raw: raw["category_multipliers"].pop("superstition"), "missing category"),
        (lambda raw: raw["grades"].reverse(), "ordered best first"),
        (lambda raw: raw["grades"][-1].update(min_score=10), "min_score 0"),
        (lambda raw: raw["recovery"].update(points=-2), "'recovery.points' must be at least 0"),
        (lambda raw: raw["repair"].update(fraction=1.5), "'repair.fraction' must be at most 1"),
        (lambda raw: raw["grades"][0].pop("colour"), "missing key 'grades[0].colour'"),
        (lambda raw: raw["blacklist"].pop("duration_days"), "blacklist.duration_days"),
    ],
)
def test_policy_errors_name_the_problem(tmp_path, change, message):
    with pytest.raises(PolicyError, match=message.replace("[", r"\[").replace("]", r"\]")) as error:
        load_policy(write_policy(tmp_path, change))
    assert isinstance(error.value, InputError)


def test_every_problem_is_listed_at_once(tmp_path):
    def break_twice(raw):
        raw["deductions"]["low"] = -1
        raw["category_multipliers"]["gambling"] = 2

    with pytest.raises(PolicyError) as error:
        load_policy(write_policy(tmp_path, break_twice))
    assert len(error.value.problems) >= 2


# -- properties ---------------------------------------------------------------------------------

SPAN_DAYS = 3 * 365
BASE = datetime(2023, 1, 1, tzinfo=UTC)


def moments(low: int = 0, high: int = SPAN_DAYS + 120) -> st.SearchStrategy[datetime]:
    """Times in about three years, often exactly at midnight (recovery dates fall on midnights)."""
    seconds = st.sampled_from([0, 0, 1, 43_200, 86_399]) | st.integers(0, 86_399)
    return st.builds(
        lambda days, secs: BASE + timedelta(days=days, seconds=secs),
        st.integers(low, high),
        seconds,
    )


def _violations(rows: list[tuple]) -> list[ViolationRecord]:
    return [
        ViolationRecord(
            vid,
            ANCHOR,
            category,
            severity,
            at,
            None if overturn_days < 0 else at + timedelta(days=overturn_days),
        )
        for vid, (at, category, severity, overturn_days) in enumerate(rows, start=1)
    ]


def violations_of(max_size: int = 10) -> st.SearchStrategy[list[ViolationRecord]]:
    """Violations of one anchor, within two months, a year or three years (dense histories reach
    the blacklist); one in five overturned up to 200 days later."""

    def within(span: int) -> st.SearchStrategy[list[ViolationRecord]]:
        row = st.tuples(
            moments(high=span),
            st.sampled_from(CATEGORIES[:4]) | st.sampled_from(CATEGORIES),
            st.sampled_from(SEVERITIES),
            st.integers(-800, 200),  # negative: not overturned
        )
        return st.lists(row, max_size=max_size).map(_violations)

    return st.sampled_from([60, 365, SPAN_DAYS]).flatmap(within)


def repairs_of() -> st.SearchStrategy[list[RepairRecord]]:
    row = st.tuples(st.sampled_from(("repair", "early_removal")), moments())
    return st.lists(row, max_size=3).map(
        lambda rows: [
            RepairRecord(rid, ANCHOR, kind, at) for rid, (kind, at) in enumerate(rows, start=1)
        ]
    )


@PROPERTY
@given(violations_of(), repairs_of(), moments(), st.data())
def test_adding_a_violation_never_raises_the_score(violations, repairs, at, data):
    category = data.draw(st.sampled_from(CATEGORIES))
    severity = data.draw(st.sampled_from(SEVERITIES))
    extra = ViolationRecord(100, ANCHOR, category, severity, min(data.draw(moments()), at))
    without = credit_at(POLICY, ANCHOR, violations, repairs, at)
    with_extra = credit_at(POLICY, ANCHOR, [*violations, extra], repairs, at)
    assert with_extra.score <= without.score
    assert with_extra.blacklisted or not without.blacklisted


@PROPERTY
@given(violations_of(), repairs_of(), moments(), st.data())
def test_raising_a_severity_never_raises_the_score(violations, repairs, at, data):
    candidates = [i for i, v in enumerate(violations) if v.severity != "high"]
    if not candidates:
        return
    i = data.draw(st.sampled_from(candidates))
    higher = data.draw(st.sampled_from(SEVERITIES[SEVERITIES.index(violations[i].severity) + 1 :]))
    raised = [*violations[:i], replace(violations[i], severity=higher), *violations[i + 1 :]]
    before = credit_at(POLICY, ANCHOR, violations, repairs, at)
    after = credit_at(POLICY, ANCHOR, raised, repairs, at)
    assert after.score <= before.score


@PROPERTY
@given(violations_of(), repairs_of(), moments(), st.integers(0, 800), st.integers(0, 86_399))
def test_time_without_new_violations_never_lowers_the_score(violations, repairs, at1, days, secs):
    at2 = at1 + timedelta(days=days, seconds=secs)
    earlier_only = [v for v in violations if v.occurred_at <= at1]
    first = credit_at(POLICY, ANCHOR, earlier_only, repairs, at1)
    later = credit_at(POLICY, ANCHOR, earlier_only, repairs, at2)
    assert later.score >= first.score


@PROPERTY
@given(violations_of(), repairs_of(), st.data())
def test_an_upheld_appeal_restores_exactly_what_the_violation_took(violations, repairs, data):
    if not violations:
        return
    target = data.draw(st.sampled_from(violations))
    upheld = target.occurred_at + timedelta(days=data.draw(st.integers(0, 400)))
    at = upheld + timedelta(
        days=data.draw(st.integers(0, 400)), seconds=data.draw(st.integers(0, 9))
    )
    overturned = [replace(v, overturned_at=upheld) if v is target else v for v in violations]
    without = [v for v in violations if v is not target]
    a = credit_at(POLICY, ANCHOR, overturned, repairs, at)
    b = credit_at(POLICY, ANCHOR, without, repairs, at)
    assert (a.score, a.grade, a.blacklisted, a.blacklisted_until) == (
        b.score,
        b.grade,
        b.blacklisted,
        b.blacklisted_until,
    )
    assert "overturned" in [e.kind for e in a.history]


@PROPERTY
@given(violations_of(), repairs_of(), moments(), st.data())
def test_the_incremental_fold_equals_the_computation_from_scratch(violations, repairs, at, data):
    fold = CreditFold.initial(POLICY, ANCHOR)
    for event in timeline(ANCHOR, violations, repairs, until=at):
        moment = event_time(event)
        if data.draw(st.booleans()) and (fold.now is None or fold.now <= moment):
            low = fold.now or BASE
            fold = fold.advance(low + (moment - low) * data.draw(st.floats(0, 1)))
        fold = fold.apply(event)
    state = fold.advance(at).state()
    scratch = credit_at(POLICY, ANCHOR, violations, repairs, at)
    assert (state.score, state.grade, state.blacklisted_until) == (
        scratch.score,
        scratch.grade,
        scratch.blacklisted_until,
    )
    assert state.history == scratch.history


@PROPERTY
@given(violations_of(), repairs_of(), moments())
def test_the_score_is_bounded_and_the_grade_matches_the_thresholds(violations, repairs, at):
    state = credit_at(POLICY, ANCHOR, violations, repairs, at)
    assert 0 <= state.score <= POLICY.start_score
    grades = POLICY.grades
    index = [g.id for g in grades].index(state.grade)
    assert state.score >= grades[index].min_score
    assert index == 0 or state.score < grades[index - 1].min_score
    assert sum(e.delta for e in state.history) == pytest.approx(state.score - 100)


def test_a_policy_problem_names_file_and_field_in_chinese_then_english(tmp_path):
    path = write_policy(tmp_path, lambda raw: raw["repair"].update(fraction=1.5))
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert error.value.problems == [
        f"{path}: repair.fraction: 须不大于 1 / 'repair.fraction' must be at most 1, not 1.5"
    ]

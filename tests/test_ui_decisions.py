"""Due process in the web UI, in Debian's chromium against a real uvicorn server: an anchor
appeals a violation on its page and a regulator upholds it under /ui/decisions (the score comes
back); a decision without a reason is refused; an anchor submits a checked script for
pre-review and sees the regulator return it with comments; a credit-repair application is filed
and granted. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from api_server import running
from playwright.sync_api import expect
from ui_login import log_in
from ui_site import open_page, shot

from api import create_app
from monitor.credit.eligibility import SCRIPT_APPROVAL
from monitor.credit.policy import load_policy
from monitor.credit.service import anchor_credit
from monitor.review.flags import record_violation
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_workshop
from monitor.store.store_lists import get_appeal, get_repair, get_script

SCRIPT = "这款杨梅是最好吃的，吃了能降血压，有问题加我微信私聊。"


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def site(tmp_path_factory, checker):
    path = tmp_path_factory.mktemp("ui_decisions") / "q.db"
    db = open_db(path)
    policy = load_policy()

    def violation(anchor, category, severity="high", at=None):
        return record_violation(
            db, anchor=anchor, category=category, severity=severity,
            evidence=f"巡查：{category}", recorded_by="test", policy=policy,
            categories=list(checker.lexicon.categories), at=at,
        )  # fmt: skip

    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    for anchor_id, name in (("A1", "王阿姨"), ("A2", "李师傅"), ("A3", "赵老板"), ("A4", "钱大姐")):
        add_anchor(db, anchor_id, name, "W1")
    violations = {"A1": violation("A1", "medical_claims")}  # yellow: one to appeal
    violation("A2", "medical_claims")  # orange: scripts need a regulator's approval
    violation("A2", "price_fraud")
    for _ in range(3):  # three high-severity violations: blacklisted (just now)
        violation("A3", "medical_claims")
    violation("A4", "medical_claims", at=_days_ago(200))  # old enough to repair
    assert SCRIPT_APPROVAL in anchor_credit(db, "A2", policy).restrictions
    assert anchor_credit(db, "A3", policy).blacklisted
    keys = {"regulator": create_key(db, "regulator", label="张科长", actor="test")[1]}
    for anchor_id in ("A1", "A2", "A3", "A4"):
        keys[anchor_id] = create_key(db, "anchor", anchor_id, actor="test")[1]
    keys["platform"] = create_key(db, "platform", actor="test")[1]
    with running(create_app(path, Settings(db=str(path)))) as base:
        yield {"base": base, "db": db, "keys": keys, "policy": policy, "violations": violations}
    db.conn.close()


def _score(page) -> float:
    return float(page.locator("#score").inner_text())


def test_the_anchor_page_gives_the_platforms_answer(browser, site):
    """Issue 12: orange needs an approved script before going live; the page said 可以 from the
    grade alone while /v1/anchors/A2/eligibility said no. One function answers both."""
    gate = httpx.get(
        f"{site['base']}/v1/anchors/A2/eligibility",
        headers={"Authorization": f"Bearer {site['keys']['platform']}"},
    ).json()
    assert gate["may_go_live"] is False
    page = open_page(browser, site, site["keys"]["regulator"])
    page.goto("/ui/anchors/A2")
    expect(page.locator(".may-go-live")).to_contain_text("不可")
    expect(page.locator(".gate-reason")).to_contain_text(gate["reason"][:10])
    # the score is labelled, and the policy version says what it is (it read "85.0 / 2026.1")
    expect(page.locator(".policy-version")).to_contain_text("信用规则")


def test_anchor_appeals_and_regulator_upholds_restoring_the_score(browser, site):
    db, policy = site["db"], site["policy"]
    violation_id = site["violations"]["A1"]
    before = anchor_credit(db, "A1", policy)
    assert before.score < policy.start_score

    anchor = open_page(browser, site, site["keys"]["A1"])
    anchor.goto("/ui/anchors/A1")
    row = anchor.locator(f"#violation-{violation_id}")
    expect(row.locator(".violation-status")).to_contain_text("有效")
    row.locator("details.appeal-form summary").click()
    row.locator("button[type=submit]").click()  # no reason: the library refuses
    expect(anchor.locator(".appeal-error")).to_contain_text("申诉须写明理由")
    row = anchor.locator(f"#violation-{violation_id}")
    row.locator("textarea[name=reason]").fill(
        "该杨梅经检测确有辅助调节作用的报告，话术引用了报告原文"
    )
    row.locator("button[type=submit]").click()
    expect(row.locator(".violation-status")).to_contain_text("申诉中")
    expect(row.locator("details.appeal-form")).to_have_count(0)
    expect(anchor.locator("#appeals tbody tr")).to_have_count(1)
    shot(anchor, "anchor-appeal-filed")

    regulator = open_page(browser, site, site["keys"]["regulator"])
    expect(regulator.locator("#decisions-badge")).to_have_text(re.compile(r"[1-9]"))
    regulator.goto("/ui/decisions")
    item = regulator.locator("#appeals article.decision-item").first
    appeal_id = int(item.get_attribute("data-id"))
    assert get_appeal(db, appeal_id)["violation_id"] == violation_id
    expect(item).to_contain_text("医疗功效")
    expect(item.locator(".appeal-reason")).to_contain_text("检测")
    expect(regulator.locator("#count-appeals")).to_have_text("1")
    shot(regulator, "decisions")

    item.locator("button[value=reject]").click()  # a reject without a note is refused
    expect(item.locator(".decision-error")).to_contain_text("裁决须写明理由")
    assert get_appeal(db, appeal_id)["status"] == "pending"
    item.locator("textarea.decision-note").fill("检测报告有效，原话术属如实引用")
    item.locator("button[value=uphold]").click()
    outcome = regulator.locator(f"#outcome-appeals-{appeal_id}")
    expect(outcome).to_contain_text("申诉成立")
    expect(regulator.locator(f"#appeals-{appeal_id}")).to_have_count(0)
    expect(regulator.locator("#count-appeals")).to_have_text("0")
    after = anchor_credit(db, "A1", policy)
    assert after.score == policy.start_score > before.score
    expect(outcome.locator(".score-before")).to_have_text(f"{before.score:g}")
    expect(outcome.locator(".score-after")).to_have_text(f"{after.score:g}")
    assert get_appeal(db, appeal_id)["status"] == "upheld"
    shot(regulator, "decisions-upheld")

    anchor.goto("/ui/anchors/A1")
    assert _score(anchor) == after.score
    expect(anchor.locator(f"#violation-{violation_id} .violation-status")).to_contain_text("已撤销")


def test_script_submitted_from_self_check_is_returned_with_comments(browser, site):
    db = site["db"]
    anchor = open_page(browser, site, site["keys"]["A2"])
    anchor.goto("/ui/anchors/A2")
    anchor.click("#submit-script-link")
    anchor.fill("#script", SCRIPT)
    anchor.click("#check-button")
    expect(anchor.locator("#checked-text > mark.hit").first).to_be_visible()
    anchor.click("#submit-script")
    expect(anchor.locator("#submit-result")).to_contain_text("待监管人员审批")
    script_id = int(anchor.locator("#my-scripts tbody tr").first.get_attribute("data-script-id"))
    expect(anchor.locator("#my-scripts tbody tr").first).to_contain_text("待审批")
    assert get_script(db, script_id)["status"] == "pending"
    assert get_script(db, script_id)["text"] == SCRIPT
    shot(anchor, "self-check-submitted")

    regulator = open_page(browser, site, site["keys"]["regulator"])
    regulator.goto("/ui/decisions")
    regulator.keyboard.press("3")  # jumps to the scripts and its comments field
    item = regulator.locator(f"#scripts-{script_id}")
    expect(item.locator("textarea.decision-note")).to_be_focused()
    marks = item.locator(".checked-text > mark.hit")
    assert marks.count() >= 3  # 最好吃, 降血压, 加我微信, highlighted as on the self-check page
    expect(item.locator(".checked-text mark.sev-high").first).to_be_visible()
    item.locator("button[value=return]").click()
    expect(item.locator(".decision-error")).to_contain_text("退回须写明意见")
    expect(item.locator("textarea.decision-note")).to_be_focused()  # the cursor is back in it
    regulator.keyboard.type("删去“降血压”和“加我微信”，“最好吃”改为“很好吃”")
    item.locator("button[value=return]").click()
    expect(regulator.locator(f"#outcome-scripts-{script_id}")).to_contain_text("退回修改")
    assert get_script(db, script_id)["status"] == "returned"

    anchor.goto("/ui/self-check")
    row = anchor.locator(f"#my-scripts tr[data-script-id='{script_id}']")
    expect(row.locator(".script-status")).to_contain_text("已退回")
    expect(row.locator(".script-comments")).to_contain_text("删去“降血压”")
    anchor.goto("/ui/anchors/A2")
    expect(anchor.locator(f"#my-scripts tr[data-script-id='{script_id}']")).to_contain_text(
        "已退回"
    )


def test_repair_application_is_filed_and_granted(browser, site):
    db, policy = site["db"], site["policy"]
    anchor = open_page(browser, site, site["keys"]["A4"])
    anchor.goto("/ui/anchors/A4")
    score_before = _score(anchor)
    anchor.click("#apply-summary")
    expect(anchor.locator("#apply-summary")).to_contain_text("申请信用修复")
    anchor.click("#apply-button")  # no rectification stated: the library's message
    expect(anchor.locator(".repair-error")).to_contain_text("申请须写明整改情况")
    anchor.fill("#repair-section textarea[name=reason]", "已删除违规话术，参加合规培训并考核合格")
    anchor.click("#apply-button")
    expect(anchor.locator("#repair-pending")).to_be_visible()
    expect(anchor.locator("#repairs tbody tr")).to_have_count(1)
    shot(anchor, "anchor-repair-applied")

    regulator = open_page(browser, site, site["keys"]["regulator"])
    regulator.goto("/ui/decisions")
    item = regulator.locator("#repairs article.decision-item", has_text="钱大姐")
    repair_id = int(item.get_attribute("data-id"))
    expect(item).to_contain_text("合规培训")
    expect(item.locator(".credit-now")).to_contain_text(f"{score_before:g}")
    item.locator("textarea.decision-note").fill("整改材料齐全")
    item.locator("button[value=grant]").click()
    outcome = regulator.locator(f"#outcome-repairs-{repair_id}")
    expect(outcome).to_contain_text("准予")
    after = anchor_credit(db, "A4", policy)
    assert after.score > score_before
    expect(outcome.locator(".score-before")).to_have_text(f"{score_before:g}")
    expect(outcome.locator(".score-after")).to_have_text(f"{after.score:g}")
    assert get_repair(db, repair_id)["status"] == "granted"
    shot(regulator, "decisions-repair-granted")

    anchor.goto("/ui/anchors/A4")
    assert _score(anchor) == after.score
    expect(anchor.locator("#repairs tbody tr")).to_contain_text("准予")


def _no_traceback(response: httpx.Response) -> None:
    response.read()
    assert "Traceback" not in response.text and 'File "' not in response.text


@contextmanager
def _client(site, key: str) -> Iterator[tuple[httpx.Client, str]]:
    """A browser-like client logged in with `key`, and its CSRF token."""
    hooks = {"response": [_no_traceback]}
    with httpx.Client(base_url=site["base"], event_hooks=hooks) as client:
        log_in(client, site["keys"][key])
        page = client.get("/ui/self-check")
        yield client, re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def test_decisions_and_filing_need_the_right_role_and_csrf(site):
    with _client(site, "regulator") as (regulator, token):
        assert (
            regulator.post("/ui/decisions/appeals/1", data={"action": "reject"}).status_code == 403
        )
        missing = regulator.post(
            "/ui/decisions/repairs/999999", data={"csrf": token, "action": "grant", "note": "x"}
        )
        assert missing.status_code == 404 and "不存在" in missing.text
        huge = regulator.post(f"/ui/decisions/appeals/{2**64}", data={"csrf": token})
        assert huge.status_code == 400 and "请求参数无效" in huge.text
        assert (
            regulator.post("/ui/decisions/flags/1", data={"csrf": token}).status_code == 404
        )  # not a kind of pending item
    for role in ("platform", "A1"):
        with _client(site, role) as (client, _):
            refused = client.get("/ui/decisions")
            assert refused.status_code == 403 and "无权访问" in refused.text
    with _client(site, "A1") as (a1, token):
        other = site["db"].execute("SELECT id FROM violations WHERE anchor_id = 'A2'").fetchone()
        response = a1.post(
            f"/ui/anchors/A2/violations/{other[0]}/appeal", data={"csrf": token, "reason": "x"}
        )
        assert response.status_code == 403
        assert a1.post("/ui/anchors/A1/repairs", data={"kind": "repair"}).status_code == 403
    with _client(site, "platform") as (
        platform,
        token,
    ):  # platforms read anchor pages but do not file for them here
        assert platform.get("/ui/anchors/A1").status_code == 200
        assert "appeal-form" not in platform.get("/ui/anchors/A2").text
        filed = platform.post("/ui/anchors/A1/repairs", data={"csrf": token, "kind": "repair"})
        assert filed.status_code == 403
    assert site["db"]["appeals"].count_where("violation_id IN (SELECT id FROM violations "
                                             "WHERE anchor_id = 'A2')") == 0  # fmt: skip


def test_a_blacklisted_anchor_is_told_when_early_removal_opens(site):
    with _client(site, "A3") as (a3, _):
        page = a3.get("/ui/anchors/A3").text
    days = site["policy"].blacklist.early_removal_after_days
    assert 'id="repair-not-offered"' in page and "apply-button" not in page
    assert f"列入黑名单未满 {days} 天" in page


def test_forms_work_without_javascript(site):
    """Without htmx the same forms answer whole pages: the anchor's page after filing, the
    decisions page with the outcome on top."""
    violation = site["db"].execute("SELECT id FROM violations WHERE anchor_id = 'A3'").fetchone()[0]
    with _client(site, "A3") as (a3, token):
        page = a3.post(
            f"/ui/anchors/A3/violations/{violation}/appeal",
            data={"csrf": token, "reason": "投诉人为竞争对手，证据不实"},
        )
        assert page.status_code == 200 and "<html" in page.text
        assert "申诉中" in page.text and "投诉人为竞争对手" in page.text
    appeal_id = (
        site["db"]
        .execute("SELECT id FROM appeals WHERE violation_id = ?", [violation])
        .fetchone()[0]
    )
    with _client(site, "regulator") as (regulator, token):
        url = f"/ui/decisions/appeals/{appeal_id}"
        refused = regulator.post(url, data={"csrf": token, "action": "reject"})
        assert refused.status_code == 400 and 'id="decision-error"' in refused.text
        page = regulator.post(url, data={"csrf": token, "action": "reject", "note": "证据确凿"})
        assert page.status_code == 200 and f'id="outcome-appeals-{appeal_id}"' in page.text
        assert f'id="appeals-{appeal_id}"' not in page.text
        again = regulator.post(
            url,
            data={"csrf": token, "action": "uphold", "note": "改判"},
            headers={"HX-Request": "1"},
        )
        assert again.status_code == 409 and "已裁决" in again.text
    assert get_appeal(site["db"], appeal_id)["status"] == "rejected"
    assert anchor_credit(site["db"], "A3", site["policy"]).blacklisted


def test_a_checked_script_with_blocking_problems_shows_as_failed(browser, site):
    """Issue 12: a script with a block verdict showed as 已检查（无需审批）; it does not count for
    going live (monitor/credit/eligibility.py), so the anchor must see that it failed."""
    anchor = open_page(browser, site, site["keys"]["A4"])
    anchor.goto("/ui/self-check")
    anchor.fill("#script", SCRIPT)
    anchor.click("#check-button")
    expect(anchor.locator("#verdict")).to_contain_text("block")
    anchor.click("#submit-script")
    expect(anchor.locator("#submit-result")).to_contain_text("未通过")
    row = anchor.locator("#my-scripts tbody tr").first
    expect(row.locator(".script-status")).to_contain_text("未通过")
    expect(row.locator(".script-status")).not_to_contain_text("无需审批")

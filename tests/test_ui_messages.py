"""What users read, through a real uvicorn server: violation origins, credit history events,
blacklist reasons and refusals in Chinese first with English beside (issue 12), while the
machine values the API gives stay as they were."""

from __future__ import annotations

import re

import httpx
import pytest
from api_server import auth, served_client
from playwright.sync_api import expect
from ui_login import log_in

from api import create_app
from monitor.credit.policy import load_policy
from monitor.credit.records import EVENT_KINDS
from monitor.review.flags import decide_flag, record_violation
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.flag_store import record_utterance
from monitor.store.registry import add_anchor, add_workshop

FLAGGED = "想要的加我微信私聊，给你便宜。"
ROLES = [("regulator", None), ("platform", None), ("anchor", "A3")]
RAW_CAUSE = re.compile(r"violation \d+ \((complaint|inspection|flag \d+)\)")


@pytest.fixture(scope="module")
def site(tmp_path_factory, checker):
    path = tmp_path_factory.mktemp("messages") / "q.db"
    db = open_db(path)
    policy = load_policy()
    categories = list(checker.lexicon.categories)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1")
    add_anchor(db, "A3", "赵老板", "W1")
    for n in range(3):  # three high-severity complaints: A3 is blacklisted by the third
        record_violation(
            db, anchor="A3", category="medical_claims", severity="high",
            evidence=f"投诉 {n}：包治百病", recorded_by="test", policy=policy,
            categories=categories, origin="complaint",
        )  # fmt: skip
    flag = record_utterance(db, checker.check(FLAGGED).hits, FLAGGED, anchor_id="A1")
    decide_flag(db, flag, confirm=True, reviewer="test", policy=policy, categories=categories)
    keys = {role: create_key(db, role, anchor, actor="test")[1] for role, anchor in ROLES}
    with served_client(create_app(path, Settings(db=str(path)))) as client:
        yield {"client": client, "base": str(client.base_url), "keys": keys}
    db.conn.close()


def _as(site, role: str) -> dict[str, str]:
    return auth(site["keys"][role])


def _cells(html: str, css_class: str) -> list[str]:
    return re.findall(rf'<td class="{css_class}">(.*?)</td>', html, re.S)


def test_public_page_and_disclosure_give_the_blacklist_reason_in_words(site):
    client = site["client"]
    page = client.get("/public")
    assert page.status_code == 200
    blacklist = page.text.split('id="public-blacklist"')[1].split("</table>")[0]
    assert "赵老板" in blacklist and "违规 #" in blacklist
    assert "（投诉举报）：医疗功效（非药品），严重" in blacklist
    assert not RAW_CAUSE.search(blacklist), blacklist
    (entry,) = client.get("/v1/public/disclosure").json()["blacklist"]
    assert (
        entry["reason"].startswith("违规 #") and "Medical claims for non-drugs" in entry["reason"]
    )
    assert entry["cause"] == f"violation {entry['violation_id']} (complaint)"


def test_the_blacklist_api_reason_is_chinese_first_and_names_the_category(site):
    client = site["client"]
    (item,) = client.get("/v1/blacklist", headers=_as(site, "platform")).json()["items"]
    assert item["anchor_id"] == "A3"
    vid = item["violation_id"]
    assert item["reason"] == (
        f"违规 #{vid}（投诉举报）：医疗功效（非药品），严重 / violation #{vid} (complaint): "
        "Medical claims for non-drugs, high"
    )
    assert item["cause"] == f"violation {vid} (complaint)"
    violations = client.get("/v1/anchors/A3/violations", headers=_as(site, "regulator")).json()
    assert vid == max(v["id"] for v in violations["items"])  # the third listed the anchor


def test_credit_history_over_the_api_words_each_event_and_keeps_its_kind(site):
    credit = site["client"].get("/v1/anchors/A3/credit", headers=_as(site, "anchor")).json()
    kinds = {event["kind"] for event in credit["history"]}
    assert {"violation", "blacklisted", "grade_change"} <= kinds <= set(EVENT_KINDS)
    names = {event["kind"]: event["kind_name"] for event in credit["history"]}
    assert names["violation"] == "违规扣分 / violation"
    assert names["grade_change"] == "等级变化 / grade change"
    assert names["blacklisted"] == "列入黑名单 / blacklisted"
    violation = next(e for e in credit["history"] if e["kind"] == "violation")
    assert (
        "医疗功效（非药品）" in violation["detail"] and "medical_claims" not in violation["detail"]
    )


def test_anchor_page_shows_history_events_and_origins_in_chinese(site):
    client = site["client"]
    log_in(client, site["keys"]["regulator"])
    try:
        a3, a1 = client.get("/ui/anchors/A3").text, client.get("/ui/anchors/A1").text
    finally:
        client.cookies.clear()
    events = set(_cells(a3, "event-kind"))
    assert "违规扣分 <small>violation</small>" in events
    assert "等级变化 <small>grade change</small>" in events
    assert not events & set(EVENT_KINDS), events
    assert "medical_claims" not in a3
    assert set(_cells(a3, "origin")) == {"投诉举报 <small>complaint</small>"}
    assert set(_cells(a1, "origin")) == {"监测标记 <small>monitoring flag</small>"}


def test_a_refused_page_says_so_in_chinese_with_english_that_reads(site):
    with httpx.Client(base_url=site["base"]) as client:
        log_in(client, site["keys"]["anchor"])
        refused = client.get("/ui/review")
    assert refused.status_code == 403
    assert "<h1>无权访问 / Forbidden</h1>" in refused.text
    assert "主播账号无权访问此页面（仅限监管人员）" in refused.text
    assert "anchor keys may not open this page (allowed: regulator)" in refused.text
    assert "a anchor" not in refused.text


def test_a_refused_api_call_names_the_roles_in_chinese_first(site):
    response = site["client"].get("/v1/admin/status", headers=_as(site, "anchor"))
    assert response.status_code == 403
    assert response.json()["message"] == (
        "主播密钥无权使用此功能（仅限监管人员） / anchor keys may not use this (allowed: regulator)"
    )


def test_a_batch_item_with_an_unknown_profile_names_the_field_and_the_known_profiles(site):
    items = [{"id": "a", "text": "杨梅很甜", "profile": "nope"}]
    response = site["client"].post(
        "/v1/check/batch", json={"items": items}, headers=_as(site, "platform")
    )
    (result,) = response.json()["results"]
    assert result["error"]["error"] == "invalid_request"
    assert result["error"]["message"].startswith("未知检测方案 nope")
    (problem,) = result["error"]["detail"]
    assert problem["field"] == "profile" and "food" in problem["known"]


def test_in_a_browser_the_anchor_sees_its_history_in_chinese(browser, site):
    page = browser.new_page(base_url=site["base"], locale="zh-CN")
    page.goto("/ui/login")
    page.fill("#key", site["keys"]["anchor"])
    page.click("button[type=submit].primary")
    page.goto("/ui/anchors/A3")
    page.click("text=信用记录")
    kinds = page.locator("td.event-kind")
    expect(kinds.first).to_be_visible()
    expect(kinds.filter(has_text="列入黑名单")).to_have_count(1)
    assert not set(kinds.all_inner_texts()) & set(EVENT_KINDS)
    expect(page.locator("#violations td.origin").first).to_have_text("投诉举报 complaint")


def test_a_wrong_method_on_a_page_is_explained_in_chinese(site):
    with httpx.Client(base_url=site["base"]) as client:
        response = client.delete("/ui/review")
    assert response.status_code == 405
    assert "<h1>不支持此方法 / Method not allowed</h1>" in response.text
    assert "不支持此方法 / method not allowed on this path" in response.text


def test_a_time_given_as_a_number_is_refused_in_chinese_first(site):
    body = {"anchor": "A1", "category": "price_fraud", "severity": "low", "evidence": "巡查",
            "at": 1767225600}  # fmt: skip
    response = site["client"].post("/v1/violations", json=body, headers=_as(site, "regulator"))
    assert response.status_code == 422
    assert "时间须为 ISO-8601 文本 / a time is ISO-8601 text" in response.json()["message"]

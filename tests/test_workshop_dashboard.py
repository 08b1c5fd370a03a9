"""The workshop dashboard (issue 12): a period selector, and a compliance rate that says what it
counts and cannot read 100 % beside violations, a blacklisted anchor or unreviewed flags (it read
100 % for a workshop with 5 complaint violations and a blacklisted anchor, and for one with 7
flags nobody had reviewed). Real SQLite, a real uvicorn server, Debian's chromium."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from api_server import auth, running
from playwright.sync_api import expect
from ui_login import log_in
from ui_site import open_page, record_lines, shot

from api import create_app
from monitor.credit.policy import load_policy
from monitor.credit.service import anchor_credit
from monitor.credit.workshop_stats import workshop_stats
from monitor.local_time import local_today
from monitor.review.flags import decide_flag, record_violation
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import now_iso, open_db, transaction
from monitor.store.flag_store import start_stream
from monitor.store.registry import add_anchor, add_workshop

SEVEN_FLAGS = [
    "我们的茶是全网最低价。", "喝了能降血压。", "这款茶包治百病。", "想要的加我微信私聊。",
    "国家特供的好茶。", "喝了能治疗失眠。", "今天全网最低价。",
]  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory, checker):
    path = tmp_path_factory.mktemp("workshops") / "q.db"
    db = open_db(path)
    policy = load_policy()
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_workshop(db, "W2", "四明山茶叶工坊", "余姚市四明山镇")
    add_workshop(db, "W3", "鹿亭白茶工坊", "余姚市鹿亭乡")
    for anchor_id, name, workshop in (
        ("A1", "王阿姨", "W1"), ("A3", "赵老板", "W1"), ("A2", "李师傅", "W2"),
        ("A4", "钱大姐", "W3"),
    ):  # fmt: skip
        add_anchor(db, anchor_id, name, workshop)
    start_stream(db, "S1", "A1")  # W1: one clean stream ...
    for n in range(5):  # ... and five complaints about A3, who is blacklisted: no stream at all
        record_violation(
            db, anchor="A3", category="medical_claims", severity="high", evidence=f"投诉 {n}",
            recorded_by="test", policy=policy, categories=list(checker.lexicon.categories),
            origin="complaint",
        )  # fmt: skip
    assert anchor_credit(db, "A3", policy).blacklisted
    assert len(record_lines(db, checker, "A2", "S2", SEVEN_FLAGS)) == 7  # W2: nobody reviewed them
    start_stream(db, "S3", "A4")  # W3: a clean stream 20 days ago and one today
    start_stream(db, "S4", "A4")
    with transaction(db):
        twenty_days_ago = now_iso(datetime.now(UTC) - timedelta(days=20))
        db.execute("UPDATE streams SET started_at = ? WHERE id = 'S3'", [twenty_days_ago])
    keys = {
        "regulator": create_key(db, "regulator", label="张科长", actor="test")[1],
        "platform": create_key(db, "platform", actor="test")[1],
    }
    with running(create_app(path, Settings(db=str(path)))) as base:
        yield {"base": base, "db": db, "keys": keys}
    db.conn.close()


def _rows(site) -> dict[str, dict]:
    return {row["workshop_id"]: row for row in workshop_stats(site["db"])}


def test_violations_without_a_stream_and_a_blacklisting_keep_the_rate_below_100(site):
    w1 = _rows(site)["W1"]
    assert w1["streams"] == w1["streams_compliant"] == 1
    assert w1["violations"] == w1["violations_outside_streams"] == 5
    assert w1["blacklisted_anchors"] == 1
    assert w1["checked"] == 1 + 5 + 1
    assert w1["compliance_rate"] == 0.142  # 1/7, rounded down


def test_unreviewed_flags_are_not_compliant_and_are_shown_apart(site):
    w2 = _rows(site)["W2"]
    assert w2["open_flags"] == 7 and w2["streams_pending"] == 1
    assert w2["streams_compliant"] == 0 and w2["compliance_rate"] == 0.0


def test_a_clean_workshop_reads_100_and_ranks_first(site):
    rows = workshop_stats(site["db"])
    assert rows[0]["workshop_id"] == "W3" and rows[0]["compliance_rate"] == 1.0


def test_one_violation_in_thousands_of_streams_does_not_show_as_100(tmp_path, checker):
    db = open_db(tmp_path / "q.db")
    add_workshop(db, "W9", "大岚工坊")
    add_anchor(db, "A9", "孙大哥", "W9")
    with transaction(db):
        for n in range(2999):
            start_stream(db, f"S{n}", "A9")
    flag = record_lines(db, checker, "A9", "S-bad", ["这款茶包治百病。"])[0]
    decide_flag(
        db, flag, confirm=True, reviewer="test", policy=load_policy(),
        categories=list(checker.lexicon.categories),
    )  # fmt: skip
    rate = workshop_stats(db)[0]["compliance_rate"]
    assert rate == 0.999 and f"{rate * 100:.1f}" == "99.9"  # 2999/3000, not "100.0"


def test_the_dashboard_has_a_period_selector_and_says_what_it_counts(browser, site):
    page = open_page(browser, site, site["keys"]["regulator"])
    page.goto("/ui/workshops")
    expect(page.locator(".period.current")).to_contain_text("近 30 天")
    expect(page.locator("#compliance-definition")).to_contain_text("合规直播场次 ÷ 检查项")
    w1 = page.locator('#ranking tr[data-workshop="W1"]')
    expect(w1.locator(".rate")).to_contain_text("14.2%")
    expect(w1.locator(".rate-basis")).to_have_text("1/7")
    expect(w1.locator(".violations")).to_have_text("5")
    expect(w1.locator(".blacklisted-anchors")).to_have_text("1")
    w2 = page.locator('#ranking tr[data-workshop="W2"]')
    expect(w2.locator(".rate")).to_contain_text("0.0%")
    expect(w2.locator(".open-flags")).to_have_text("7")
    expect(w2.locator(".pending")).to_have_text("1")
    w3 = page.locator('#ranking tr[data-workshop="W3"]')
    expect(w3.locator(".streams")).to_have_text("2")
    shot(page, "workshops-30-days")

    page.click('.period[data-days="7"]')
    expect(page.locator(".period.current")).to_contain_text("近 7 天")
    expect(w3.locator(".streams")).to_have_text("1")  # the stream of 20 days ago is outside
    today = local_today()
    expect(page.locator("#period-shown")).to_contain_text(f"{today - timedelta(days=6)} 至 {today}")

    old = (today - timedelta(days=20)).isoformat()
    page.fill("#period-form input[name=date_from]", old)
    page.fill("#period-form input[name=date_to]", old)
    page.click("#period-form button[type=submit]")
    expect(w3.locator(".streams")).to_have_text("1")
    expect(w1.locator(".streams")).to_have_text("0")
    expect(page.locator(".period.current")).to_have_count(0)
    shot(page, "workshops-custom")


def test_statistics_export_and_api_take_the_period(site):
    today = local_today()
    with httpx.Client(base_url=site["base"]) as client:
        log_in(client, site["keys"]["regulator"])
        page = client.get("/ui/workshops?days=7").text
        assert 'href="/ui/exports/workshops.csv?days=7"' in page
        download = client.get("/ui/exports/workshops.csv?days=7")
    assert download.content.startswith(b"\xef\xbb\xbf")
    rows = {r["工坊编号 workshop id"]: r for r in csv.DictReader(
        io.StringIO(download.content.decode("utf-8-sig")))}  # fmt: skip
    assert rows["W1"]["合规率% compliance %"] == "14.2"
    assert rows["W1"]["统计起 from"] == str(today - timedelta(days=6))
    assert rows["W3"]["直播场次 streams"] == "1"
    headers = auth(site["keys"]["regulator"])
    day = {"date_from": str(today - timedelta(days=20)), "date_to": str(today - timedelta(days=20))}
    with httpx.Client(base_url=site["base"], headers=headers) as api:
        stats = api.get("/v1/stats/workshops", params=day).json()
        exported = api.get("/v1/exports/workshops.csv", params=day)
    by_id = {row["workshop_id"]: row for row in stats["items"]}
    assert by_id["W3"]["streams"] == 1 and by_id["W1"]["streams"] == 0
    assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbf")
    platform = auth(site["keys"]["platform"])
    assert (
        httpx.get(f"{site['base']}/v1/exports/workshops.csv", headers=platform).status_code == 403
    )
    with httpx.Client(base_url=site["base"]) as client:
        log_in(client, site["keys"]["regulator"])
        assert client.get("/ui/workshops?days=12").status_code == 400

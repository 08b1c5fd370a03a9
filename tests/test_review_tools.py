"""The review tools a regulator expects (issue 12), against a real uvicorn server and Debian's
chromium: search by anchor name, account or text; a date range of Beijing calendar days; decided
flags with their decisions; paging beyond 50; anchor names in the queue; CSV exports that Excel
opens (UTF-8 with a BOM, Beijing times)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from api_server import auth, no_traceback, running
from playwright.sync_api import expect
from ui_login import log_in
from ui_site import open_page, record_lines, shot

from api import create_app
from monitor.credit.policy import load_policy
from monitor.credit.service import anchor_credit
from monitor.review.flags import record_violation
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.audit import entries
from monitor.store.db import now_iso, open_db, transaction
from monitor.store.flag_queries import count_flags, get_flag, list_flags
from monitor.store.registry import add_anchor, add_workshop

MANY = 55  # more flags than one page of the queue (50)
# Beijing is UTC+8: 16:30Z on 2 December is 00:30 on 3 December in Beijing.
LATE_EVENING_UTC = "2025-06-01T16:30:00Z"  # Beijing 2025-06-02 00:30
EARLIER_UTC = "2025-06-01T15:30:00Z"  # Beijing 2025-06-01 23:30


@pytest.fixture(scope="module")
def site(tmp_path_factory, checker):
    path = tmp_path_factory.mktemp("review_tools") / "q.db"
    db = open_db(path)
    policy = load_policy()
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_workshop(db, "W2", "四明山茶叶工坊", "余姚市四明山镇")
    add_anchor(db, "A1", "王阿姨", "W1", accounts=["douyin:wang_ayi"])
    add_anchor(db, "A2", "李师傅", "W1")
    add_anchor(db, "A3", "赵老板", "W2", accounts=["kuaishou:zhao_tea"])
    add_anchor(db, "A4", "钱大姐", "W2")
    many = record_lines(
        db, checker, "A1", "S1", [f"第{n}箱杨梅是全网最低价。" for n in range(MANY)]
    )
    assert len(many) == MANY
    tea = record_lines(db, checker, "A3", "S2", ["这款茶叶喝了能降血压。", "想要的加我微信私聊。"])
    assert len(tea) == 2
    with transaction(db):  # one flag just after Beijing midnight, one just before
        db.execute("UPDATE flags SET created_at = ? WHERE id = ?", [LATE_EVENING_UTC, tea[0]])
        db.execute("UPDATE flags SET created_at = ? WHERE id = ?", [EARLIER_UTC, tea[1]])
    formula = record_lines(db, checker, "A2", "S3", ['=HYPERLINK("http://x.test")全网最低价'])
    record_violation(
        db, anchor="A3", category="medical_claims", severity="high", evidence="投诉：包治百病",
        recorded_by="test", policy=policy, categories=list(checker.lexicon.categories),
        at=LATE_EVENING_UTC, origin="complaint",
    )  # fmt: skip
    for days in (20, 10):  # two high-severity violations: a third blacklists A4
        record_violation(
            db, anchor="A4", category="medical_claims", severity="high", evidence="巡查：治病",
            recorded_by="test", policy=policy, categories=list(checker.lexicon.categories),
            at=now_iso(datetime.now(UTC) - timedelta(days=days)), origin="inspection",
        )  # fmt: skip
    wine = record_lines(db, checker, "A4", "S4", ["这款酒能治疗失眠。", "这款米酒包治百病。"])
    keys = {
        "regulator": create_key(db, "regulator", label="张科长", actor="test")[1],
        "regulator2": create_key(db, "regulator", label="李科长", actor="test")[1],
        "platform": create_key(db, "platform", actor="test")[1],
        "anchor": create_key(db, "anchor", "A1", actor="test")[1],
    }
    with running(create_app(path, Settings(db=str(path)))) as base:
        yield {
            "base": base, "db": db, "keys": keys, "policy": policy, "many": many, "tea": tea,
            "formula": formula, "wine": wine,
        }  # fmt: skip
    db.conn.close()


@contextmanager
def _ui(site, key: str = "regulator") -> Iterator[httpx.Client]:
    hooks = {"response": [_html_without_traceback]}
    with httpx.Client(base_url=site["base"], event_hooks=hooks) as client:
        log_in(client, site["keys"][key])
        yield client


def _html_without_traceback(response: httpx.Response) -> None:
    response.read()
    assert "Traceback" not in response.text and 'File "' not in response.text


@contextmanager
def _api(site, key: str = "regulator") -> Iterator[httpx.Client]:
    hooks = {"response": [no_traceback]}
    headers = auth(site["keys"][key])
    with httpx.Client(base_url=site["base"], headers=headers, event_hooks=hooks) as client:
        yield client


def _listed(html: str) -> list[int]:
    """The flag ids the queue lists, in order."""
    return [int(i) for i in re.findall(r'class="flag-item[^"]*" data-flag-id="(\d+)"', html)]


def _rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q, anchors",
    [
        ("王阿姨", {"A1"}),  # the anchor's name
        ("zhao_tea", {"A3"}),  # a platform account
        ("kuaishou:zhao", {"A3"}),  # written PLATFORM:ACCOUNT
        ("降血压", {"A3"}),  # words of the utterance
        ("a2", {"A2"}),  # the anchor id, any case
        ("100%_", set()),  # LIKE wildcards are taken literally
    ],
)
def test_search_finds_anchor_name_account_or_text(site, q, anchors):
    with _api(site) as api:
        found = api.get("/v1/flags", params={"q": q, "limit": 500}).json()
    assert {f["anchor_id"] for f in found["items"]} == anchors
    assert found["total"] == len(found["items"])
    with _ui(site) as ui:
        page = ui.get("/ui/review", params={"q": q}).text
    assert len(_listed(page)) == min(found["total"], 50)
    assert f"<strong>{found['total']}</strong>" in page


def test_the_queue_names_the_anchor_not_only_its_id(site):
    with _ui(site) as ui:
        page = ui.get("/ui/review", params={"anchor": "A3"}).text
    names = re.findall(r'<span class="anchor-name">([^<]+)</span>', page)
    assert names and all(name.strip() == "赵老板 A3" for name in names)
    with _api(site) as api:
        item = api.get("/v1/flags", params={"anchor": "A3"}).json()["items"][0]
    assert item["anchor_name"] == "赵老板"


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, which",
    [("2025-06-02", 0), ("2025-06-01", 1)],  # by the Beijing calendar, not the UTC one
)
def test_a_date_filter_is_a_beijing_calendar_day(site, day, which):
    expected = site["tea"][which]
    with _api(site) as api:
        found = api.get("/v1/flags", params={"date_from": day, "date_to": day}).json()
    assert [f["id"] for f in found["items"]] == [expected]
    with _ui(site) as ui:
        page = ui.get("/ui/review", params={"date_from": day, "date_to": day, "view": "all"})
    assert _listed(page.text) == [expected]


def test_bad_dates_are_refused_with_a_message(site):
    with _api(site) as api:
        assert api.get("/v1/flags", params={"date_from": "2026-02-30"}).status_code == 422
        backwards = api.get(
            "/v1/flags", params={"date_from": "2026-12-03", "date_to": "2026-12-01"}
        )
        assert (
            backwards.status_code == 400 and "起始日期晚于结束日期" in backwards.json()["message"]
        )
    with _ui(site) as ui:
        page = ui.get("/ui/review", params={"date_from": "3 December"})
        assert page.status_code == 400 and "YYYY-MM-DD" in page.text


# --- paging ----------------------------------------------------------------------------------


def test_the_queue_pages_beyond_fifty(browser, site):
    open_ids = [f["id"] for f in list_flags(site["db"], status="open", limit=500)]
    assert len(open_ids) > 50
    page = open_page(browser, site, site["keys"]["regulator"])
    page.goto("/ui/review")
    expect(page.locator(".flag-item")).to_have_count(50)
    expect(page.locator("#queue-count")).to_contain_text(f"{len(open_ids)}")
    expect(page.locator("#queue-count")).to_contain_text("第 1/2 页")
    first = [int(i) for i in page.locator(".flag-item").evaluate_all(
        "items => items.map(i => i.dataset.flagId)")]  # fmt: skip
    page.click("#queue-pager a[rel=next]")
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator(".flag-item")).to_have_count(len(open_ids) - 50)
    second = [int(i) for i in page.locator(".flag-item").evaluate_all(
        "items => items.map(i => i.dataset.flagId)")]  # fmt: skip
    assert first + second == open_ids  # riskiest first, nothing lost or repeated
    shot(page, "review-page-2")
    with _api(site) as api:
        paged = api.get("/v1/flags", params={"status": "open", "limit": 50, "offset": 50}).json()
    assert [f["id"] for f in paged["items"]] == second and paged["offset"] == 50


# --- decided flags -----------------------------------------------------------------------------


def test_decided_flags_are_listed_with_who_when_and_what(browser, site):
    chosen = site["tea"][0]
    page = open_page(browser, site, site["keys"]["regulator"])
    page.goto(f"/ui/review/flags/{chosen}?q=降血压")
    page.fill("#confirm-form input[name=note]", "复核录音属实")
    page.click("#confirm-form button[type=submit]")
    expect(page.locator("#outcome")).to_contain_text(f"#{chosen}")
    page.goto("/ui/review?view=decided")
    item = page.locator(f'.flag-item[data-flag-id="{chosen}"]')
    expect(item.locator(".flag-decision")).to_contain_text("已确认")
    expect(item.locator(".flag-decision")).to_contain_text("张科长")
    item.click()
    decision = page.locator("#decision")
    expect(decision.locator(".decision-reviewer")).to_contain_text("张科长")
    expect(decision.locator(".decision-note")).to_have_text("复核录音属实")
    expect(decision.locator(".decision-time")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")
    )
    shot(page, "review-decided-view")
    with _api(site) as api:
        decided = api.get("/v1/flags", params={"status": "decided"}).json()["items"]
    mine = next(f for f in decided if f["id"] == chosen)
    assert mine["decision"]["reviewer"].endswith("(张科长)")
    assert mine["decision"]["note"] == "复核录音属实"
    assert mine["decision"]["violation_id"] is not None
    assert len(decided) == count_flags(site["db"], status="decided") >= 1


# --- exports -----------------------------------------------------------------------------------


def test_flag_export_is_excel_ready_with_beijing_times_and_the_filters(site):
    with _api(site) as api:
        rows = _rows(api.get("/v1/exports/flags.csv", params={"q": "zhao_tea"}))
    assert sorted(int(r["标记编号 flag"]) for r in rows) == sorted(site["tea"])
    late = next(r for r in rows if int(r["标记编号 flag"]) == site["tea"][0])
    assert late["标记时间 flagged (北京时间 Beijing time)"] == "2025-06-02 00:30:00"
    assert late["主播 anchor"] == "赵老板" and "降血压" in late["原话 utterance"]
    assert late["严重程度 severity"].startswith(("严重", "一般", "轻微"))
    with _ui(site) as ui:
        page = ui.get("/ui/review", params={"q": "zhao_tea", "view": "all"}).text
        link = re.search(r'id="export-flags" href="([^"]+)"', page).group(1)
        download = ui.get(link.replace("&amp;", "&"))
    assert _rows(download) == rows
    assert re.fullmatch(
        r'attachment; filename="qinglang-flags-\d{8}\.csv"', download.headers["content-disposition"]
    )


def test_exported_text_cannot_run_as_an_excel_formula(site):
    with _api(site) as api:
        rows = _rows(api.get("/v1/exports/flags.csv", params={"anchor": "A2"}))
    assert rows and rows[0]["原话 utterance"].startswith("'=HYPERLINK")


def test_violation_export_has_origin_status_and_the_beijing_day(site):
    with _api(site) as api:
        rows = _rows(
            api.get(
                "/v1/exports/violations.csv",
                params={"workshop": "W2", "date_from": "2025-06-02", "date_to": "2025-06-02"},
            )
        )
        assert rows and {r["主播编号 anchor id"] for r in rows} == {"A3"}
        complaint = next(r for r in rows if r["来源 origin"] == "投诉举报 complaint")
        assert complaint["发生时间 occurred (北京时间 Beijing time)"] == "2025-06-02 00:30:00"
        assert complaint["状态 status"] == "有效 standing"
        none = _rows(api.get("/v1/exports/violations.csv", params={"date_to": "2025-06-01"}))
        assert none == []


def test_only_a_regulator_exports(site):
    for role in ("platform", "anchor"):
        with _api(site, role) as api:
            assert api.get("/v1/exports/flags.csv").status_code == 403
            assert api.get("/v1/exports/violations.csv").status_code == 403
    with _ui(site, "platform") as ui:
        assert ui.get("/ui/exports/flags.csv").status_code == 403


# --- undo ------------------------------------------------------------------------------------


def _decide(site, flag_id: int, key: str = "regulator", **body) -> dict:
    with _api(site, key) as api:
        response = api.post(f"/v1/flags/{flag_id}/decision", json=body or {"action": "confirm"})
    assert response.status_code == 200, response.text
    return response.json()


def _backdate(site, flag_id: int, minutes: float) -> None:
    """As if the decision had been taken `minutes` ago."""
    at = now_iso(datetime.now(UTC) - timedelta(minutes=minutes))
    with transaction(site["db"]):
        site["db"].execute(
            "UPDATE review_decisions SET decided_at = ? WHERE flag_id = ?", [at, flag_id]
        )


def _credit(site, anchor_id: str) -> tuple:
    state = anchor_credit(site["db"], anchor_id, site["policy"])
    return state.score, state.grade, state.blacklisted, state.restrictions


def test_a_confirmation_undone_in_time_gives_everything_back(browser, site):
    """The third high-severity violation blacklists A4; undoing its confirmation a moment later
    removes the violation, and score, grade, blacklist and eligibility are as before, each change
    in the audit log naming who undid what."""
    db, flag_id = site["db"], site["wine"][0]
    before = _credit(site, "A4")
    with _api(site, "platform") as api:
        gate_before = api.get("/v1/anchors/A4/eligibility").json()
    page = open_page(browser, site, site["keys"]["regulator"])
    page.goto(f"/ui/review/flags/{flag_id}")
    page.click("#confirm-form button[type=submit]")
    expect(page.locator("#outcome")).to_contain_text("列入黑名单")
    violation_id = get_flag(db, flag_id)["decision"]["violation_id"]
    assert anchor_credit(db, "A4", site["policy"]).blacklisted
    with _api(site, "platform") as api:
        assert api.get("/v1/anchors/A4/eligibility").json()["may_register"] is False
    expect(page.locator("#outcome .undo-until")).to_contain_text("可撤销至")
    shot(page, "review-undo-offered")

    page.click("#outcome .undo-form button")
    expect(page.locator("#outcome")).to_contain_text(f"已撤销 undone #{flag_id}")
    expect(page.locator("#outcome")).to_contain_text(f"#{violation_id} 已删除")
    expect(page.locator("#outcome .score-after")).to_have_text(f"{before[0]:g}")
    expect(page.locator("#detail article.flag")).to_have_attribute("data-flag-id", str(flag_id))
    expect(page.locator("#detail #confirm-form")).to_be_visible()  # open again, to decide anew
    shot(page, "review-undone")
    assert get_flag(db, flag_id)["status"] == "open" and get_flag(db, flag_id)["decision"] is None
    assert not db["violations"].count_where("id = ?", [violation_id])
    assert _credit(site, "A4") == before
    assert not db["blacklist_entries"].count_where(
        "anchor_id = 'A4' AND removed_at IS NULL AND until > ?", [now_iso()]
    )
    with _api(site, "platform") as api:
        gate_after = api.get("/v1/anchors/A4/eligibility").json()
    assert gate_after == gate_before and gate_after["may_register"] is True
    undo = entries(db, subject=f"flag:{flag_id}")[0]
    assert undo["action"] == "flag.undo" and undo["actor"].endswith("(张科长)")
    assert undo["detail"]["violation"]["id"] == violation_id
    assert undo["detail"]["decision"]["decision"] == "confirm"
    changes = [e for e in entries(db, subject="anchor:A4") if e["action"] == "credit.change"]
    assert f"violation {violation_id} undone" in changes[0]["detail"]["cause"]
    assert changes[0]["detail"]["score"][1] == before[0]
    assert entries(db, subject="anchor:A4")[0]["action"] == "blacklist.remove"


def test_undo_after_the_window_is_refused_and_changes_nothing(site):
    flag_id = site["many"][0]
    decided = _decide(site, flag_id)
    _backdate(site, flag_id, 11)  # the window is 10 minutes
    with _api(site) as api:
        refused = api.post(f"/v1/flags/{flag_id}/decision/undo")
    assert refused.status_code == 409
    message = refused.json()["message"]
    assert "10 分钟撤销时限" in message and "10-minute undo window" in message
    assert "申诉" in message and "appeal" in message
    assert get_flag(site["db"], flag_id)["status"] == "confirmed"
    assert site["db"]["violations"].count_where("id = ?", [decided["violation_id"]])
    with _ui(site) as ui:
        pane = ui.get(f"/ui/review/flags/{flag_id}").text
        assert 'id="undo-closed"' in pane and "已超过 10 分钟撤销时限" in pane
        assert "undo-form" not in pane.split('id="decision"')[1]
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', pane).group(1)
        again = ui.post(f"/ui/review/flags/{flag_id}/undo", data={"csrf": token})
        assert again.status_code == 409 and "撤销时限" in again.text


def test_only_the_regulator_who_decided_may_undo(site):
    flag_id = site["many"][1]
    _decide(site, flag_id, action="dismiss", reason="方言口误，非宣传")
    with _api(site, "regulator2") as api:
        other = api.post(f"/v1/flags/{flag_id}/decision/undo")
    assert other.status_code == 403 and "只有作出决定的审核人" in other.json()["message"]
    for role in ("platform", "anchor"):
        with _api(site, role) as api:
            assert api.post(f"/v1/flags/{flag_id}/decision/undo").status_code == 403
    with _ui(site, "regulator2") as ui:
        pane = ui.get(f"/ui/review/flags/{flag_id}").text
        assert "仅作出决定的审核人" in pane and "undo-form" not in pane.split('id="decision"')[1]
    assert get_flag(site["db"], flag_id)["status"] == "dismissed"
    with _api(site) as api:
        undone = api.post(f"/v1/flags/{flag_id}/decision/undo")
    assert undone.status_code == 200
    assert undone.json()["undone"]["reason"] == "方言口误，非宣传"
    assert undone.json()["violation_id"] is None
    assert get_flag(site["db"], flag_id)["status"] == "open"


def test_a_violation_under_appeal_is_left_to_the_appeal(site):
    flag_id = site["many"][2]
    decided = _decide(site, flag_id)
    with _api(site, "anchor") as api:
        filed = api.post(
            f"/v1/violations/{decided['violation_id']}/appeals", json={"reason": "当时在读顾客留言"}
        )
    assert filed.status_code in (200, 201), filed.text
    with _api(site) as api:
        refused = api.post(f"/v1/flags/{flag_id}/decision/undo")
    assert refused.status_code == 409 and "申诉" in refused.json()["message"]
    assert get_flag(site["db"], flag_id)["status"] == "confirmed"


def test_an_open_flag_has_no_decision_to_undo(site):
    flag_id = site["wine"][1]
    with _api(site) as api:
        refused = api.post(f"/v1/flags/{flag_id}/decision/undo")
        assert refused.status_code == 409 and "没有可撤销的决定" in refused.json()["message"]
        assert api.post("/v1/flags/999999/decision/undo").status_code == 404

"""The web UI in a real browser: Debian's chromium driven by Playwright against a real uvicorn
server on a store filled through the library. Screenshots of each page go to
test-artifacts/screenshots/."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect
from ui_login import log_in
from ui_site import SCRIPT, open_page, shot

from monitor.credit.service import anchor_credit
from monitor.store.flag_queries import get_flag, list_flags


def test_regulator_confirms_top_flag_by_keyboard_and_anchor_grade_changes(browser, site):
    db, policy = site["db"], site["policy"]
    queue = list_flags(db, status="open")
    top, second = queue[0], queue[1]
    before = anchor_credit(db, "A1", policy)
    assert before.grade == policy.grades[0].id

    page = open_page(browser, site, site["keys"]["regulator"])
    expect(page).to_have_url(re.compile(r"/ui/review$"))
    detail = page.locator("#detail article.flag")
    expect(detail).to_have_attribute("data-flag-id", str(top["id"]))
    expect(detail.locator("h2 mark.hit")).to_have_text(top["text"])
    expect(detail.locator(".transcript li.current mark.hit")).to_have_text(top["text"])
    expect(detail.locator("dl.why")).to_contain_text(top["basis"][0])
    shot(page, "review-queue")

    page.keyboard.press("c")
    expect(page.locator("#outcome")).to_contain_text(f"已确认 confirmed #{top['id']}")
    expect(detail).to_have_attribute("data-flag-id", str(second["id"]))
    assert get_flag(db, top["id"])["status"] == "confirmed"
    after = anchor_credit(db, "A1", policy)
    assert after.grade != before.grade
    expect(page.locator("#outcome .score-before")).to_have_text(f"{before.score:g}")
    expect(page.locator("#outcome .score-after")).to_have_text(f"{after.score:g}")
    shot(page, "review-decided")

    page.goto("/ui/anchors/A1")
    grade = {g.id: g for g in policy.grades}[after.grade]
    expect(page.locator("#grade-badge .badge")).to_have_text(grade.zh)
    expect(page.locator("#score")).to_have_text(f"{after.score:g}")
    expect(page.locator("#score-chart svg path.score-line")).to_have_count(1)
    assert page.locator("#score-chart svg circle").count() == len(after.history) >= 2
    expect(page.locator("#violations tbody tr")).to_have_count(2)
    shot(page, "anchor")


def test_audio_player_starts_at_the_flagged_second(browser, site):
    top = list_flags(site["db"], status="open")[0]
    assert top["time_start"] is not None and top["time_start"] > 1
    page = open_page(browser, site, site["keys"]["regulator"])
    page.goto(f"/ui/review/flags/{top['id']}")
    page.wait_for_function("document.querySelector('#player').readyState >= 1")
    position = page.evaluate("document.querySelector('#player').currentTime")
    assert abs(position - top["time_start"]) < 0.3, (position, top["time_start"])


def test_review_keys_move_through_the_queue_and_show_help(browser, site):
    queue = list_flags(site["db"], status="open")
    page = open_page(browser, site, site["keys"]["regulator"])
    page.goto("/ui/review")
    detail = page.locator("#detail article.flag")
    expect(detail).to_have_attribute("data-flag-id", str(queue[0]["id"]))
    page.keyboard.press("j")
    expect(detail).to_have_attribute("data-flag-id", str(queue[1]["id"]))
    expect(page.locator(".flag-item.selected")).to_have_attribute(
        "data-flag-id", str(queue[1]["id"])
    )
    page.keyboard.press("k")
    expect(detail).to_have_attribute("data-flag-id", str(queue[0]["id"]))
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()


def test_dismissal_needs_a_reason(browser, site):
    db = site["db"]
    flag = list_flags(db, status="open")[0]
    page = open_page(browser, site, site["keys"]["regulator"])
    page.goto(f"/ui/review/flags/{flag['id']}")
    page.click("#dismiss-form button[type=submit]")
    expect(page.locator("#decision-error")).to_contain_text("驳回须写明理由")
    assert get_flag(db, flag["id"])["status"] == "open"
    shot(page, "review-dismiss-refused")
    page.keyboard.press("d")  # with no reason typed, d puts the cursor in the reason field
    page.keyboard.type("语境为产地介绍，不构成价格宣传")
    page.keyboard.press("Enter")
    expect(page.locator("#outcome")).to_contain_text(f"已驳回 dismissed #{flag['id']}")
    assert get_flag(db, flag["id"])["status"] == "dismissed"


def test_anchor_self_checks_a_script_and_copies_the_corrected_version(browser, site):
    page = open_page(browser, site, site["keys"]["anchor"])
    expect(page).to_have_url(re.compile(r"/ui/self-check$"))
    page.fill("#script", SCRIPT)
    page.click("#check-button")
    marks = page.locator("#checked-text > mark.hit")
    expect(marks.first).to_be_visible()
    assert marks.count() >= 4
    expect(page.locator("#verdict")).to_contain_text("block")
    expect(page.locator("#checked-text mark.sev-high").first).to_be_visible()
    lowest = page.locator("#checked-text > mark.hit", has_text="降血压")
    lowest.hover()
    expect(lowest.locator(".tip")).to_be_visible()
    expect(lowest.locator(".tip")).to_contain_text("《")  # the legal basis
    shot(page, "self-check")

    page.click("#copy-corrected")
    expect(page.locator("#copy-status")).to_contain_text("已复制")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#corrected").input_value()
    assert "最好吃" not in copied and "很好吃" in copied  # the lexicon's rewording of 最好吃
    # 原价 and 降血压 have advice only: a marked comment on a line of its own, not in the sentence
    first, *notes = copied.split("\n")
    assert "【" not in first
    assert any(note.startswith("【建议 / advice：“降血压”") for note in notes)

    page.goto("/ui/anchors/A2")
    expect(page.locator("h1")).to_contain_text("无权访问")
    expect(page.locator(".error")).to_contain_text("主播账号只能查看本人信用")
    shot(page, "anchor-refused")


def test_self_check_over_the_text_limit_says_so_in_chinese(browser, site):
    page = open_page(browser, site, site["keys"]["anchor"])
    page.fill("#script", "杨梅" * 700)
    page.click("#check-button")
    expect(page.locator("#check-error")).to_contain_text("文本超过 1.95 KiB 上限")


def test_self_check_reads_an_uploaded_caption_file(site):
    captions = "1\n00:00:01,000 --> 00:00:04,000\n我们的杨梅是全网最低价\n\n2\n00:00:04,000 --> 00:00:08,000\n有问题加我微信\n"
    with httpx.Client(base_url=site["base"]) as client:
        log_in(client, site["keys"]["anchor"])
        page = client.get("/ui/self-check")
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
        response = client.post(
            "/ui/self-check",
            data={"csrf": token},
            files={"file": ("live.srt", captions.encode("utf-8"), "application/x-subrip")},
        )
        assert response.status_code == 200
        assert '<mark class="hit sev-high" tabindex="0">全网最低价' in response.text
        assert '<mark class="hit sev-high" tabindex="0">加我微信' in response.text
        refused = client.post(
            "/ui/self-check",
            data={"csrf": token},
            files={"file": ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")},
        )
        assert refused.status_code == 400 and "不支持的文件类型" in refused.text


def test_public_page_shows_blacklist_and_products_without_login(browser, site):
    page = open_page(browser, site)
    response = page.goto("/public")
    assert response.status == 200
    expect(page.locator("#public-blacklist")).to_contain_text("赵老板")
    expect(page.locator("#public-products")).to_contain_text("浙江省宁波市余姚市梁弄镇")
    expect(page.locator("#public-products")).to_contain_text("AGI00861")
    expect(page.locator("#public-grades")).to_contain_text("王阿姨")
    shot(page, "public")
    page.goto("/")
    expect(page.locator(".login-state")).to_contain_text("未登录")
    shot(page, "home")
    page.goto("/ui/login")
    shot(page, "login")


def test_workshop_dashboard_ranks_workshops_with_charts(browser, site):
    page = open_page(browser, site, site["keys"]["regulator"])
    page.goto("/ui/workshops")
    expect(page.locator("#ranking tbody tr")).to_have_count(2)
    expect(page.locator("#compliance-chart svg")).to_have_count(1)
    expect(page.locator("#ranking")).to_contain_text("四明山茶叶工坊")
    shot(page, "workshops")
    page.goto("/ui/anchors")
    expect(page.locator("table.list tbody tr")).to_have_count(3)
    shot(page, "anchors")


def test_pages_need_login_and_the_right_role(site):
    with httpx.Client(base_url=site["base"]) as client:
        response = client.get("/ui/review")
        assert response.status_code == 303
        assert response.headers["location"] == "/ui/login?next=%2Fui%2Freview"
        log_in(client, site["keys"]["anchor"])
        refused = client.get("/ui/review")
        assert refused.status_code == 403 and "无权访问" in refused.text
        assert client.get("/ui/streams/S1/media").status_code == 200  # its own stream
        log_in(client, site["keys"]["other_anchor"])
        assert client.get("/ui/streams/S1/media").status_code == 403
        assert client.get("/ui/streams/NO-SUCH/media").status_code == 403


def test_state_changes_need_the_csrf_token(site):
    flag = list_flags(site["db"], status="open")[0]
    with httpx.Client(base_url=site["base"]) as client:
        log_in(client, site["keys"]["regulator"])
        response = client.post(
            f"/ui/review/flags/{flag['id']}/decision", data={"decision": "confirm"}
        )
        assert response.status_code == 403
        assert "Traceback" not in response.text
    assert get_flag(site["db"], flag["id"])["status"] == "open"


def test_recording_is_served_with_range_requests(site):
    with httpx.Client(base_url=site["base"]) as client:
        log_in(client, site["keys"]["regulator"])
        response = client.get("/ui/streams/S1/media", headers={"Range": "bytes=0-99"})
        assert response.status_code == 206
        assert len(response.content) == 100
        assert response.content.startswith(b"RIFF")

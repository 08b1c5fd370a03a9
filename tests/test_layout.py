"""The web UI's layout in Debian's chromium against a real uvicorn server: the navigation on one
line in a 1366 px window, the public page and the self-check page on a 390 px phone, the
favicon, and the live page's start form when a stream URL is refused. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import httpx
import pytest
from api_server import running
from playwright.sync_api import Page, expect
from ui_site import open_page, shot

from api import create_app
from monitor.review.flags import file_appeal
from monitor.review.prereview import submit_script
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SCRIPT = "这款杨梅是全网最低价，吃了能降血压，有问题加我微信私聊。"
LONG_LABEL = "余姚市市场监督管理局网络交易监管科 张科长"


@pytest.fixture(scope="module")
def layout(site, checker):
    """test_ui's store (workshops, anchors, A3 blacklisted, a product, a flagged stream) with a
    pending appeal (a badge in the navigation), a script of A1's, a platform key and a regulator
    key with a long label."""
    db = site["db"]
    violation = db.execute("SELECT id FROM violations WHERE anchor_id = 'A1'").fetchone()[0]
    file_appeal(db, violation, "原价有成交记录", "anchor:A1")
    submit_script(db, checker, site["policy"], anchor="A1", text=SCRIPT, submitted_by="anchor:A1")
    keys = {
        **site["keys"],
        "regulator": create_key(db, "regulator", label=LONG_LABEL, actor="test")[1],
        "platform": create_key(db, "platform", label="抖音巡查", actor="test")[1],
    }
    return {**site, "keys": keys}


def _box(page: Page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); "
        "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height}; }"
    )


def _page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("role", ["regulator", "platform", "anchor"])
def test_the_navigation_fits_one_line_in_a_1366_px_window(browser, layout, role):
    page = open_page(browser, layout, layout["keys"][role], DESKTOP)
    page.goto("/ui/self-check")
    if role == "regulator":
        expect(page.locator("#nav-decisions .count-badge")).to_have_text("1")
    links = page.locator("header.top nav a")
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count()))}
    assert len(tops) == 1, f"the navigation wraps onto {len(tops)} lines"
    brand, nav, who = (_box(page, s) for s in (".brand", "header.top nav", "header.top .who"))
    assert nav["top"] < brand["bottom"] and who["top"] < brand["bottom"]  # one row
    assert _box(page, "header.top")["height"] < 2 * brand["height"]
    assert _page_width(page) <= DESKTOP["width"]
    shot(page, f"nav-1366-{role}")


def test_the_public_page_reads_on_a_390_px_phone(browser, layout):
    page = open_page(browser, layout, viewport=PHONE)
    page.goto("/public")
    assert _page_width(page) <= PHONE["width"]
    assert _box(page, "header.top")["height"] <= 0.15 * PHONE["height"]
    row = page.locator("#public-blacklist tbody tr").first
    expect(row).to_contain_text("赵老板")
    cells = row.locator("td")
    labels = cells.evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content.replaceAll('\"', ''))"
    )
    assert labels == ["主播 Anchor", "列入 Listed", "至 Until", "状态 State", "原因 Reason"]
    for i in range(cells.count()):  # one cell a line, as wide as the card, in readable type
        box = cells.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('td')).fontSize)")
    assert font >= 14
    shot(page, "public-390")


def test_the_self_check_page_works_on_a_390_px_phone(browser, layout):
    page = open_page(browser, layout, layout["keys"]["anchor"], PHONE)
    page.goto("/ui/self-check")
    assert _page_width(page) <= PHONE["width"]
    assert _box(page, "header.top")["height"] <= 0.15 * PHONE["height"]  # the form is in view
    expect(page.locator("#script")).to_be_in_viewport()
    page.fill("#script", SCRIPT)
    page.click("#check-button")
    expect(page.locator("#result mark.hit").first).to_be_visible()
    expect(page.locator("#my-scripts-list tbody tr")).to_have_count(1)
    assert _page_width(page) <= PHONE["width"]
    last = page.locator("header.top nav a").last  # the navigation scrolls in its own strip
    last.scroll_into_view_if_needed()
    box = last.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert _page_width(page) <= PHONE["width"]
    shot(page, "self-check-390")


def test_the_favicon_is_served_and_no_page_asset_is_missing(browser, layout):
    icon = httpx.get(f"{layout['base']}/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = open_page(browser, layout, viewport=DESKTOP)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else 0)
    page.goto("/public")
    page.wait_for_load_state("networkidle")
    for href in page.locator("link[rel=icon]").evaluate_all("links => links.map(l => l.href)"):
        assert httpx.get(href).status_code == 200, href
    assert failed == []


@pytest.mark.parametrize(
    "url, explained",
    [
        ("http://10.1.2.3/live.m3u8", ["不是公网地址", "QINGLANG_WATCH_ALLOW", "not public"]),
        ("直播间 3 号", ["这不是网络地址", "http://", "not a network address"]),
        ("ftp://live.example.com/a.flv", ["不允许的地址协议 ftp", "只接受", "not allowed"]),
    ],
)
def test_a_refused_live_url_keeps_the_form_and_explains_in_chinese(browser, layout, url, explained):
    rooms_before = layout["db"]["live_rooms"].count
    page = open_page(browser, layout, layout["keys"]["platform"], DESKTOP)
    page.goto("/ui/live")
    page.select_option("#room-anchor", "A1")
    page.fill("#room-stream", "S-A1-0601")
    page.fill("#room-url", url)
    page.click("#start-button")
    error = page.locator("#start-error")
    expect(error).to_contain_text("未能开始监测")
    for words in explained:
        expect(error).to_contain_text(words)
    expect(error).to_contain_text("已保留填写的内容")
    expect(page.locator("#room-anchor")).to_have_value("A1")
    expect(page.locator("#room-stream")).to_have_value("S-A1-0601")
    expect(page.locator("#room-url")).to_have_value(url)
    expect(page.locator("#room-url")).to_have_attribute("aria-invalid", "true")
    assert layout["db"]["live_rooms"].count == rooms_before
    shot(page, "live-refused-url")


def test_a_room_refused_for_a_missing_speech_model_is_explained_in_the_form(
    browser,
    tmp_path,
):
    path = tmp_path / "q.db"
    db = open_db(path)
    add_anchor(db, "A1", "王阿姨", None)
    key = create_key(db, "platform", actor="test")[1]
    settings = Settings(db=str(path), asr_model=str(tmp_path / "no-model"), watch_allow="127.0.0.1")
    with running(create_app(path, settings)) as base:
        page = open_page(browser, {"base": base}, key, DESKTOP)
        page.goto("/ui/live")
        page.select_option("#room-anchor", "A1")
        page.fill("#room-url", "http://127.0.0.1:9/live.m3u8")
        page.click("#start-button")
        expect(page.locator("#start-error")).to_contain_text("语音模型文件夹不存在")
        expect(page.locator("#room-url")).to_have_value("http://127.0.0.1:9/live.m3u8")
    db.conn.close()

"""Monitored streams and live rooms in the web UI, in Debian's chromium against a real uvicorn
server on the demo store (`seed_demo`: caption-only streams and recorded ones, with flags): the
stream list with flag counts and recordings, a stream's transcript with every flag highlighted
and the player seeking to a segment, an anchor key limited to its own streams, and the live page showing a block result
as caption lines are pushed, refusing a local-file URL and stopping a room. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import re

import httpx
import pytest
from api_server import running
from playwright.sync_api import expect
from ui_login import log_in
from ui_site import open_page, shot

from api import create_app
from monitor.credit.policy import load_policy
from monitor.demo.data import load_demo, seed_demo
from monitor.settings import Settings
from monitor.sources.segments import Segment
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.flag_queries import count_flags, list_flags
from monitor.store.stream_views import flag_span

STREAM = "S-ZJ3-en-demo"  # the demo stream of anchor A-ZJ3, recorded, with flags
OWN_ANCHOR = "A-ZJ3"
OTHER_STREAM = "S-AJ1-demo"
DEMO = load_demo()
RECORDED = {s.id for s in DEMO.streams if not s.captions}
BLOCK_LINES = [
    Segment(1.0, 3.0, "欢迎来到直播间"),
    Segment(60.0, 64.0, "我们的杨梅是全网最低价，加我微信下单"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory, checker):
    folder = tmp_path_factory.mktemp("ui_streams")
    path = folder / "q.db"
    db = open_db(path)
    summary = seed_demo(db, checker, load_policy(), folder / "files")
    assert summary.recordings == len(RECORDED), (
        "the demo recordings need espeak-ng: install the Debian package espeak-ng"
    )
    platform_id, platform_key = create_key(db, "platform", label="抖音巡查", actor="test")
    keys = {
        "regulator": create_key(db, "regulator", label="张科长", actor="test")[1],
        "platform": platform_key,
        "anchor": create_key(db, "anchor", OWN_ANCHOR, actor="test")[1],
    }
    settings = Settings(db=str(path), data_dir=str(folder / "files"), live_max_rooms=4)
    app = create_app(path, settings)
    with running(app) as base:
        yield {"base": base, "db": db, "keys": keys, "app": app, "platform_id": platform_id}
    db.conn.close()


@pytest.mark.parametrize(
    "segment, context, start, text, expected",
    [
        ("这是全网最低价，错过就没有了", "这是全网最低价，", 2, "全网最低价", (2, 7)),
        # said twice: the occurrence with the same words before it in the context
        (
            "全网最低价？不，今天真的是全网最低价",
            "不，今天真的是全网最低价",
            7,
            "全网最低价",
            (13, 18),
        ),
        # the sentence began in the previous segment (segments are joined by line breaks)
        (
            "这是全网最低价，不信你看全网最低价",
            "我跟大家说说今天的情况吧各位\n这是全网最低价",
            17,
            "全网最低价",
            (2, 7),
        ),
        ("今天只要九块九", "原价一百", 0, "原价", None),  # not in this segment
    ],
)
def test_a_flag_is_placed_on_its_words_in_the_segment(segment, context, start, text, expected):
    flag = {"context": context, "start": start, "end": start + len(text), "text": text}
    assert flag_span(segment, flag) == expected


def _flag_ids(page) -> set[int]:
    """The flags highlighted in the page's transcript (a mark may carry several)."""
    marks = page.locator("#transcript mark.hit").evaluate_all(
        "marks => marks.map(m => m.dataset.flagIds)"
    )
    return {int(i) for ids in marks for i in ids.split()}


def test_stream_list_shows_the_demo_streams_with_flag_counts(browser, site):
    db = site["db"]
    page = open_page(browser, site, site["keys"]["regulator"])
    page.click("#nav-streams")
    expect(page).to_have_url(re.compile(r"/ui/streams$"))
    rows = page.locator("#streams tbody tr[data-stream-id]")
    expect(rows).to_have_count(len(DEMO.streams))
    for stream in DEMO.streams:
        row = page.locator(f'#streams tr[data-stream-id="{stream.id}"]')
        counts = "·".join(
            str(count_flags(db, stream_id=stream.id, status=s))
            for s in ("open", "confirmed", "dismissed")
        )
        assert row.locator(".flag-counts").inner_text().replace(" ", "") == counts
        expect(row.locator(".has-media")).to_have_count(int(stream.id in RECORDED))
        expect(row.locator(".badge")).to_have_count(1)
    shot(page, "streams")

    page.select_option("#stream-filters select[name=workshop]", "W-AJ")
    page.click("#stream-filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-stream-id", OTHER_STREAM)


def test_every_flag_of_every_stream_is_highlighted_in_its_transcript(site):
    with httpx.Client(base_url=site["base"]) as client:
        log_in(client, site["keys"]["platform"])
        for stream in DEMO.streams:
            response = client.get(f"/ui/streams/{stream.id}")
            assert response.status_code == 200
            lit = re.findall(r'<mark class="hit [^"]*" data-flag-ids="([\d ]+)"', response.text)
            expected = {f["id"] for f in list_flags(site["db"], stream_id=stream.id)}
            assert {int(i) for ids in lit for i in ids.split()} == expected
            assert expected or stream.recording  # only the real recording has no claims
            assert "〔" not in response.text  # every flag found in its segment's text
            # a recorded stream has its player; a caption-only one says it is a caption timeline
            assert ('id="player"' in response.text) == (stream.id in RECORDED)
            assert ('id="caption-timeline"' in response.text) == (stream.id not in RECORDED)


def test_stream_page_from_a_flag_highlights_flags_and_seeks_on_a_segment_time(browser, site):
    db = site["db"]
    flags = list_flags(db, stream_id=STREAM)
    chosen = max(flags, key=lambda f: f["time_start"])
    page = open_page(browser, site, site["keys"]["regulator"])
    page.goto(f"/ui/review/flags/{chosen['id']}")
    page.click("#detail a.whole-stream")
    expect(page).to_have_url(re.compile(rf"/ui/streams/{STREAM}\?flag={chosen['id']}"))
    expect(page.locator("#transcript mark.hit").first).to_be_visible()
    assert _flag_ids(page) == {f["id"] for f in flags}
    for flag in flags:
        mark = page.locator(f'#transcript mark.hit[data-flag-ids="{flag["id"]}"]')
        expect(mark.locator("a.flag-link")).to_have_text(flag["text"])
        expect(mark).to_have_class(re.compile(rf"\bsev-{flag['severity']}\b"))
    expect(page.locator("#transcript mark.hit.focus")).to_have_attribute(
        "data-flag-ids", str(chosen["id"])
    )
    expect(page.locator("#summary")).to_contain_text("拦截")
    page.wait_for_function("document.querySelector('#player').readyState >= 1")
    start = page.evaluate("document.querySelector('#player').currentTime")
    assert abs(start - chosen["time_start"]) < 0.3, (start, chosen["time_start"])
    shot(page, "stream")

    segments = list(
        db.query("SELECT id, start_s FROM segments WHERE stream_id = ? ORDER BY seq", [STREAM])
    )
    target = segments[2]
    page.click(f"#seg-{target['id']} button.seek")
    page.wait_for_function(
        f"Math.abs(document.querySelector('#player').currentTime - {target['start_s']}) < 0.5"
    )

    first = flags[0]
    page.click(f'#transcript mark.hit[data-flag-ids="{first["id"]}"] a.flag-link')
    expect(page).to_have_url(re.compile(rf"/ui/review/flags/{first['id']}$"))
    expect(page.locator("#detail article.flag")).to_have_attribute("data-flag-id", str(first["id"]))


def test_anchor_key_sees_only_its_own_streams(browser, site):
    page = open_page(browser, site, site["keys"]["anchor"])
    page.goto(f"/ui/anchors/{OWN_ANCHOR}")
    expect(page.locator("#anchor-streams tbody tr[data-stream-id]")).to_have_count(1)
    page.click(f'#anchor-streams a[href="/ui/streams/{STREAM}"]')
    expect(page.locator("#transcript mark.hit").first).to_be_visible()
    expect(page.locator("#player")).to_be_visible()  # an anchor hears its own recording
    page.goto("/ui/streams")
    rows = page.locator("#streams tbody tr[data-stream-id]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-stream-id", STREAM)
    response = page.goto(f"/ui/streams/{OTHER_STREAM}")
    assert response.status == 403
    expect(page.locator("h1")).to_contain_text("无权访问")
    expect(page.locator(".error")).to_contain_text("主播账号只能查看本人的直播")
    shot(page, "stream-refused")
    assert page.goto("/ui/streams/no-such-stream").status == 403  # existing or not


def _room(site, stream_id: str) -> dict:
    return site["app"].state.live_rooms.create(
        owner_key_id=site["platform_id"],
        owner_role="platform",
        anchor_id=OWN_ANCHOR,
        stream_id=stream_id,
    )


def test_live_page_shows_a_pushed_block_result_without_reload(browser, site):
    room = _room(site, "S-live-block")
    page = open_page(browser, site, site["keys"]["platform"])
    page.click("#nav-live")
    card = page.locator(f"#room-{room['id']}")
    expect(card).to_have_attribute("data-state", "active")
    expect(card.locator(".events li")).to_have_count(0)
    page.evaluate("window.notReloaded = true")

    events = site["app"].state.live_rooms.push_captions(room["id"], BLOCK_LINES)
    assert [e["verdict"] for e in events] == ["pass", "block"]
    block = card.locator(".events li.verdict-line-block")
    expect(block).to_be_visible(timeout=8000)
    expect(block).to_contain_text("拦截")
    expect(block.locator("mark.hit")).to_contain_text(["全网最低价"])
    expect(card.locator(".block-alert")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    shot(page, "live-block")


def test_refused_stream_url_is_explained_in_chinese(browser, site):
    rooms_before = site["db"]["live_rooms"].count
    page = open_page(browser, site, site["keys"]["platform"])
    page.goto("/ui/live")
    page.select_option("#room-anchor", OWN_ANCHOR)
    page.fill("#room-url", "file:///etc/passwd")
    page.click("#start-button")
    expect(page.locator("#start-error")).to_contain_text("不允许的地址协议")
    expect(page.locator("#room-url")).to_have_value("file:///etc/passwd")
    assert site["db"]["live_rooms"].count == rooms_before
    shot(page, "live-refused")


def test_regulator_stops_a_room(browser, site):
    room = _room(site, "S-live-stop")
    page = open_page(browser, site, site["keys"]["regulator"])
    page.goto("/ui/live")
    card = page.locator(f"#room-{room['id']}")
    card.locator(".stop-button").click()
    expect(card).to_have_attribute("data-state", "stopped")
    expect(card.locator(".events li.event-stopped")).to_be_visible()
    state = site["db"].execute("SELECT state FROM live_rooms WHERE id = ?", [room["id"]])
    assert state.fetchone()[0] == "stopped"
    assert not site["app"].state.live_rooms.is_live(room["id"])
    shot(page, "live")


def test_starting_and_stopping_rooms_need_the_csrf_token_and_a_supervisor(site):
    room = _room(site, "S-live-csrf")
    with httpx.Client(base_url=site["base"]) as client:
        log_in(client, site["keys"]["platform"])
        assert client.post(f"/ui/live/rooms/{room['id']}/stop").status_code == 403
        refused = client.post(
            "/ui/live/rooms", data={"anchor": OWN_ANCHOR, "source_url": "https://example.com/a"}
        )
        assert refused.status_code == 403 and "Traceback" not in refused.text
        log_in(client, site["keys"]["anchor"])
        assert client.post(f"/ui/live/rooms/{room['id']}/stop").status_code == 403
        assert client.get("/ui/live/rooms").status_code == 200
    assert site["app"].state.live_rooms.is_live(room["id"])
    site["app"].state.live_rooms.stop_room(room["id"])

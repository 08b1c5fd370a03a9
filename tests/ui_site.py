"""The web UI's test site: a store filled through the library (workshops, anchors, a product, a
checked stream with its recording, violations, keys) served by a real uvicorn server, pages of it in
a browser context, and screenshots to test-artifacts/screenshots/. The `site` fixture (conftest.py)
serves it once per test module."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api_server import running
from playwright.sync_api import Page
from speech_audio import tone

from api import create_app
from monitor.checking.timed_check import check_segments
from monitor.credit.policy import load_policy
from monitor.review.flags import record_violation
from monitor.settings import Settings
from monitor.sources.segments import Segment
from monitor.store.api_keys import create_key
from monitor.store.db import open_db, transaction
from monitor.store.flag_store import record_check
from monitor.store.registry import add_anchor, add_product, add_workshop

SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
STREAM = [
    Segment(0.0, 4.0, "大家好，欢迎来到梁弄杨梅直播间。"),
    Segment(4.0, 9.0, "今天的杨梅又大又甜，酸甜可口。"),
    Segment(9.0, 14.0, "我们的杨梅是全网最低价，错过就没有了。"),
    Segment(14.0, 19.0, "吃了能降血压，老人小孩都适合。"),
    Segment(19.0, 24.0, "想要的加我微信私聊，给你便宜。"),
    Segment(24.0, 28.0, "谢谢大家的支持。"),
]
SCRIPT = "这款杨梅是最好吃的，原价199现在只要39，吃了能降血压，有问题加我微信私聊。"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def serve_site(folder: Path, checker) -> Iterator[dict]:
    """Fill a store in `folder` and serve it; yields base URL, store, keys and policy."""
    path = folder / "q.db"
    db = open_db(path)
    policy = load_policy()
    categories = list(checker.lexicon.categories)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_workshop(db, "W2", "四明山茶叶工坊", "余姚市四明山镇")
    add_anchor(db, "A1", "王阿姨", "W1")
    add_anchor(db, "A2", "李师傅", "W1")
    add_anchor(db, "A3", "赵老板", "W2")
    add_product(
        db, "P1", "梁弄杨梅", workshop_id="W1", origin="浙江省宁波市余姚市梁弄镇",
        producer="梁弄杨梅合作社",
        certifications=[{"type": "geographical_indication", "number": "AGI00861"}],
    )  # fmt: skip
    # A1 has one earlier, minor violation: still green, so the next confirmation changes grade.
    earlier = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    record_violation(
        db, anchor="A1", category="absolute_terms", severity="low", evidence="巡查：最好",
        recorded_by="test", policy=policy, categories=categories, at=earlier,
    )  # fmt: skip
    for n in range(3):  # three high-severity violations: A3 is blacklisted
        record_violation(
            db, anchor="A3", category="medical_claims", severity="high",
            evidence=f"投诉 {n}：包治百病", recorded_by="test", policy=policy,
            categories=categories, origin="complaint",
        )  # fmt: skip
    timed = check_segments(checker, STREAM)
    flag_ids = record_check(
        db, timed.report, timed.timed.text, anchor_id="A1", stream_id="S1", product_id="P1",
        segments=timed.timed.segments,
    )  # fmt: skip
    assert len(flag_ids) >= 3
    media = folder / "S1.wav"
    tone(media, STREAM[-1].end)
    with transaction(db):
        db.execute("UPDATE streams SET media_path = ? WHERE id = ?", [str(media), "S1"])
    keys = {
        "regulator": create_key(db, "regulator", label="张科长", actor="test")[1],
        "anchor": create_key(db, "anchor", "A1", actor="test")[1],
        "other_anchor": create_key(db, "anchor", "A2", actor="test")[1],
    }
    settings = Settings(db=str(path), max_text_bytes=2000)
    with running(create_app(path, settings)) as base:
        yield {"base": base, "db": db, "keys": keys, "policy": policy}


def open_page(browser, site: dict, key: str | None = None, viewport: dict | None = None) -> Page:
    context = browser.new_context(
        base_url=site["base"],
        locale="zh-CN",
        viewport=viewport or {"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    if key is not None:
        page.goto("/ui/login")
        page.fill("#key", key)
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
    return page


def record_lines(db, checker, anchor_id: str, stream_id: str, lines: list[str]) -> list[int]:
    """Record `lines` (5 s apart) checked as stream `stream_id` of `anchor_id`; the flag ids."""
    segments = [Segment(i * 5.0, i * 5.0 + 4.5, line) for i, line in enumerate(lines)]
    timed = check_segments(checker, segments)
    return record_check(
        db, timed.report, timed.timed.text, anchor_id=anchor_id, stream_id=stream_id,
        segments=timed.timed.segments,
    )  # fmt: skip

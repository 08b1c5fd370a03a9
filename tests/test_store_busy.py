"""A store another writer keeps locked: every API route answers 503 with Retry-After (a page under
/ui/), the CLI one line and exit code 2; and a long caption upload is stored in bounded batches,
so other writers keep writing while it is stored and a failed upload completes when retried."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from api_server import auth, no_traceback, running

from api import create_app
from monitor.checking.timed_check import check_segments
from monitor.settings import Settings
from monitor.sources.segments import Segment
from monitor.store.api_keys import create_key
from monitor.store.db import BUSY_RETRY_AFTER_S, open_db
from monitor.store.flag_store import record_check
from monitor.store.registry import add_anchor, add_workshop

VIOLATION = {"anchor": "A1", "category": "price_fraud", "severity": "high",
             "evidence": "2026-05-01 直播回放 12:30 虚构原价", "origin": "complaint"}  # fmt: skip


def _store(path) -> dict[str, str]:
    db = open_db(path)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚")
    add_anchor(db, "A1", "王阿姨", "W1")
    add_anchor(db, "A2", "李师傅", "W1")
    keys = {
        "regulator": create_key(db, "regulator", actor="test")[1],
        "platform": create_key(db, "platform", actor="test")[1],
    }
    db.conn.close()
    return keys


@contextmanager
def write_lock(path) -> Iterator[None]:
    """Another connection holding the store's write lock until the block ends."""
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture(scope="module")
def quick_to_give_up(tmp_path_factory, checker):
    """A served store whose writes wait 3 s for another writer: far longer than a batch of rows
    takes, far shorter than storing 60,000 rows in one transaction took (10 s and more)."""
    path = tmp_path_factory.mktemp("busy") / "q.db"
    keys = _store(path)
    db = open_db(path)
    text = "家人们，这是全网最低价！"
    record_check(db, checker.check(text), text, anchor_id="A1", stream_id="S1")
    db.conn.close()
    settings = Settings(db=str(path), db_busy_timeout_seconds=3.0)
    with running(create_app(path, settings)) as base:
        yield base, path, keys


def test_a_write_to_a_locked_store_is_a_503_with_retry_after(quick_to_give_up):
    base, path, keys = quick_to_give_up
    hooks = {"response": [no_traceback]}
    with httpx.Client(base_url=base, timeout=30, event_hooks=hooks) as client:
        with write_lock(path):
            refused = client.post("/v1/violations", json=VIOLATION, headers=auth(keys["regulator"]))
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == str(BUSY_RETRY_AFTER_S)
        assert refused.json()["error"] == "store_busy"
        assert refused.json()["message"].startswith("数据库繁忙")
        assert f"retry in {BUSY_RETRY_AFTER_S} s" in refused.json()["message"]
        again = client.post("/v1/violations", json=VIOLATION, headers=auth(keys["regulator"]))
        assert again.status_code == 201  # once the lock is gone, the same request goes through


def test_a_page_that_writes_to_a_locked_store_says_so(quick_to_give_up):
    base, path, keys = quick_to_give_up
    with httpx.Client(base_url=base, timeout=30) as browser:
        form = browser.get("/ui/login").text
        login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)
        browser.post("/ui/login", data={"key": keys["regulator"], "login_csrf": login_csrf})
        page = browser.get("/ui/review")
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
        with write_lock(path):
            refused = browser.post(
                "/ui/review/flags/1/decision",
                data={"csrf": csrf, "decision": "dismiss", "reason": "误报"},
            )
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == str(BUSY_RETRY_AFTER_S)
    assert refused.headers["content-type"].startswith("text/html")
    assert "数据库繁忙" in refused.text and "Traceback" not in refused.text


def test_the_cli_says_a_locked_store_is_busy_in_one_line(tmp_path):
    path = tmp_path / "cli.db"
    _store(path)
    command = [sys.executable, "-m", "monitor.cli.main", "violations", "record", "--db", str(path),
               "--anchor", "A1", "--category", "price_fraud", "--severity", "high",
               "--evidence", "虚构原价截图"]  # fmt: skip
    env = {**os.environ, "QINGLANG_ACTOR": "reg-1", "QINGLANG_DB_BUSY_TIMEOUT_SECONDS": "0.2"}
    with write_lock(path):
        refused = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "数据库繁忙" in lines[0] and "retry in" in lines[0]
    assert "Traceback" not in refused.stderr
    stored = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert stored.returncode == 0, stored.stderr


# --- long uploads ---------------------------------------------------------------------------


@contextmanager
def statements(db) -> Iterator[list[str]]:
    """Every statement the connection runs inside the block, as SQLite traces them."""
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        db.conn.set_trace_callback(None)


def _rows_per_transaction(seen: list[str]) -> list[int]:
    """How many rows each transaction inserted, from a trace."""
    counts: list[int] = []
    for statement in seen:
        if statement.startswith("BEGIN"):
            counts.append(0)
        elif statement.startswith("INSERT") and counts:
            counts[-1] += 1
    return counts


def _long_stream(checker, cues: int) -> tuple:
    segments = [
        Segment(float(i), i + 0.9, "这是全网最低价。" if i % 50 == 0 else "好") for i in range(cues)
    ]
    timed = check_segments(checker, segments)
    return timed.report, timed.timed.text, segments


def test_a_long_upload_is_stored_in_bounded_transactions(tmp_path, checker):
    db = open_db(tmp_path / "batches.db")
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚")
    add_anchor(db, "A1", "王阿姨", "W1")
    report, text, segments = _long_stream(checker, 2_000)
    with statements(db) as seen:
        flag_ids = record_check(db, report, text, anchor_id="A1", stream_id="S1", segments=segments)
    per_transaction = _rows_per_transaction(seen)
    assert max(per_transaction) <= 500  # no transaction holds the lock for more rows
    assert sum(per_transaction) == 1 + 2_000 + 40  # the stream, its segments, its flags
    assert len(per_transaction) == 1 + 4 + 1 and len(flag_ids) == 40


def test_an_upload_that_failed_half_way_completes_when_retried(tmp_path, checker):
    db = open_db(tmp_path / "retry.db")
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚")
    add_anchor(db, "A1", "王阿姨", "W1")
    report, text, segments = _long_stream(checker, 2_000)
    # The disk refuses the 1,500th segment, as a full disk would.
    db.execute(
        "CREATE TEMP TRIGGER refuse BEFORE INSERT ON segments WHEN NEW.seq = 1499000 "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        record_check(db, report, text, anchor_id="A1", stream_id="S1", segments=segments)
    assert db["segments"].count == 1_000  # the batches before the failure stay stored
    db.execute("DROP TRIGGER refuse")
    flag_ids = record_check(db, report, text, anchor_id="A1", stream_id="S1", segments=segments)
    assert db["segments"].count == 2_000 and db["flags"].count == len(flag_ids) == 40
    again = record_check(db, report, text, anchor_id="A1", stream_id="S1", segments=segments)
    assert again == flag_ids and db["segments"].count == 2_000  # nothing stored twice

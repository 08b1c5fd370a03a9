"""One utterance is one flag (issue 12): a sentence with several hits is decided once and, when
confirmed, punished once; a repeat is a later utterance, never the same one. Flags stored before
this rule are merged by migration 005."""

from __future__ import annotations

import json
import sqlite3

import pytest

from monitor.checking.timed_check import check_segments
from monitor.credit.policy import load_policy
from monitor.credit.service import anchor_credit
from monitor.review.flags import decide_flag
from monitor.sources.segments import Segment
from monitor.store.db import migrations, now_iso, open_db
from monitor.store.flag_queries import get_flag, list_flags
from monitor.store.flag_store import record_check
from monitor.store.registry import add_anchor, add_workshop

POLICY = load_policy()
# two off-platform hits (加我V信, 私下转账) and two overlapping ones (加我微信 / 微信私聊), each in
# one sentence: written for this test
TWO_HITS = "想要便宜的加我V信，私下转账给你优惠。"
OVERLAPPING = "有问题加我微信私聊。"
LATER = "再说一遍，加我微信私下转账。"


@pytest.fixture
def db(tmp_path):
    store = open_db(tmp_path / "q.db")
    add_workshop(store, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(store, "A1", "王阿姨", "W1")
    return store


def _record(db, checker, lines: list[str], stream: str = "S1") -> list[int]:
    segments = [Segment(10.0 * i, 10.0 * i + 8, text) for i, text in enumerate(lines)]
    timed = check_segments(checker, segments)
    return record_check(
        db, timed.report, timed.timed.text, anchor_id="A1", stream_id=stream, segments=segments
    )


def test_a_sentence_with_several_hits_is_one_flag_holding_them_all(db, checker):
    assert len(checker.check(TWO_HITS).hits) >= 2  # the premise: the checker finds both
    (flag_id,) = _record(db, checker, [TWO_HITS])
    flag = get_flag(db, flag_id)
    assert len(flag["hits"]) == len(checker.check(TWO_HITS).hits)
    assert {h["text"] for h in flag["hits"]} >= {"私下转账"}
    assert flag["categories"] == ["off_platform_trading"]
    for hit in flag["hits"]:  # offsets into the flag's context
        assert flag["context"][hit["start"] : hit["end"]] == hit["text"]
    assert _record(db, checker, [TWO_HITS]) == [flag_id]  # checked again: the same flag


def test_overlapping_hits_in_one_sentence_are_one_flag(db, checker):
    assert len(_record(db, checker, [OVERLAPPING])) == 1


def test_confirming_records_one_violation_and_a_repeat_needs_a_later_utterance(db, checker):
    first, later = _record(db, checker, [TWO_HITS, LATER])
    cats = ["off_platform_trading"]
    decide_flag(db, first, confirm=True, reviewer="r1", policy=POLICY, categories=cats)
    after_one = anchor_credit(db, "A1", POLICY)
    assert db["violations"].count == 1
    assert [e.kind for e in after_one.history].count("violation") == 1
    decide_flag(db, later, confirm=True, reviewer="r1", policy=POLICY, categories=cats)
    events = [e for e in anchor_credit(db, "A1", POLICY).history if e.kind == "violation"]
    assert len(events) == 2 and "×1.5" in events[1].detail  # the later sentence is the repeat


def test_migration_merges_open_flags_of_one_sentence_and_keeps_decided_ones(tmp_path, checker):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)"
    )
    for version, name, sql in migrations():
        if version < 5:
            conn.executescript(sql)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, now_iso()]
            )
    conn.execute(
        "INSERT INTO workshops (id, name, region, created_at) VALUES ('W1','坊','镇',?)",
        [now_iso()],
    )
    conn.execute(
        "INSERT INTO anchors (id, name, workshop_id, created_at) VALUES ('A1','王','W1',?)",
        [now_iso()],
    )
    hits = checker.check(TWO_HITS).hits
    rows = [(h, "open", f"k{i}") for i, h in enumerate(hits)]
    rows.append((hits[0], "dismissed", "kd"))  # decided earlier: left alone
    for hit, status, key in rows:
        conn.execute(
            "INSERT INTO flags (anchor_id, created_at, context, start, end, text, category, "
            "severity, source, rule, score, hit, status, dedupe_key) "
            "VALUES ('A1', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [now_iso(), TWO_HITS, hit.start, hit.end, hit.text, hit.category, hit.severity,
             hit.source, hit.rule, hit.score, json.dumps(hit.to_dict(), ensure_ascii=False),
             status, key],
        )  # fmt: skip
    conn.commit()
    conn.close()
    db = open_db(path)  # applies 005
    open_flags = list_flags(db, status="open", limit=50)
    assert len(open_flags) == 1
    assert len(json.loads(db["flags"].get(open_flags[0]["id"])["hits"])) == len(hits)
    assert len(list_flags(db, status="dismissed", limit=50)) == 1

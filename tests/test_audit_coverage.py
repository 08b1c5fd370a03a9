"""Every change a person or a key makes is in the audit log, once, in the same transaction as the
change: violations (also of an anchor already blacklisted, whose score no longer moves),
decisions on flags, appeals, repairs and scripts, appeals and applications filed, publications,
API keys created and revoked, live rooms started and stopped. Driven through the API and the CLI,
then counted row by row; and a change that fails leaves no entry."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from api_server import auth, no_traceback, running

from api import create_app
from monitor.credit.policy import load_policy
from monitor.review.flags import record_violation
from monitor.settings import Settings
from monitor.store import audit
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.flag_store import record_check
from monitor.store.registry import add_anchor, add_workshop

POLICY = load_policy()
FLAGGED = "家人们，这是全网最低价！加我微信私聊下单！这款茶能治疗高血压。"

# kind → (SQL giving the id of each row that kind of change made, audit actions, how an entry
# names that id: a field of its detail, or "subject" for `key:<id>`)
KINDS = {
    "violation recorded": ("SELECT id FROM violations", ("violation.record",), "violation_id"),
    "flag decided": (
        "SELECT flag_id FROM review_decisions", ("flag.confirm", "flag.dismiss"), "flag_id"
    ),
    "appeal filed": ("SELECT id FROM appeals", ("appeal.file",), "appeal_id"),
    "appeal decided": (
        "SELECT id FROM appeals WHERE status != 'pending'",
        ("appeal.upheld", "appeal.rejected"),
        "appeal_id",
    ),
    "repair applied for": ("SELECT id FROM credit_repairs", ("repair.apply",), "repair_id"),
    "repair decided": (
        "SELECT id FROM credit_repairs WHERE status != 'pending'",
        ("repair.granted", "repair.refused"),
        "repair_id",
    ),
    "script submitted": ("SELECT id FROM scripts", ("script.submit",), "script_id"),
    "script decided": (
        "SELECT id FROM scripts WHERE status IN ('approved', 'returned')",
        ("script.approved", "script.returned"),
        "script_id",
    ),
    "disclosure published": ("SELECT id FROM disclosures", ("disclosure.publish",), "disclosure_id"),
    "key created": ("SELECT id FROM api_keys", ("key.create",), "subject"),
    "key revoked": ("SELECT id FROM api_keys WHERE revoked_at IS NOT NULL", ("key.revoke",), "subject"),
    "room started": ("SELECT id FROM live_rooms", ("room.start",), "room_id"),
    "room stopped": (
        "SELECT id FROM live_rooms WHERE stopped_at IS NOT NULL", ("room.stop",), "room_id"
    ),
}  # fmt: skip


def coverage(db) -> dict[str, tuple[list, list]]:
    """For each kind of change: (ids of its rows, ids its audit entries name), both sorted."""
    found = {}
    for kind, (rows_sql, actions, named_by) in KINDS.items():
        rows = sorted(row[0] for row in db.execute(rows_sql))
        marks = ", ".join("?" * len(actions))
        column = (
            "CAST(substr(subject, 5) AS INTEGER)"
            if named_by == "subject"
            else f"json_extract(detail, '$.{named_by}')"
        )
        entries = db.execute(f"SELECT {column} FROM audit_log WHERE action IN ({marks})", actions)
        found[kind] = (rows, sorted((row[0] for row in entries), key=lambda i: (i is None, i)))
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory, checker):
    path = tmp_path_factory.mktemp("audit") / "q.db"
    db = open_db(path)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚")
    for anchor_id in ("A1", "A2", "A3", "A4"):
        add_anchor(db, anchor_id, f"主播{anchor_id}", "W1")
    record_check(db, checker.check(FLAGGED), FLAGGED, anchor_id="A1", stream_id="S1")
    keys = {
        "regulator": create_key(db, "regulator", actor="test")[1],
        "platform": create_key(db, "platform", actor="test")[1],
        "anchor": create_key(db, "anchor", "A2", actor="test")[1],
    }
    db.conn.close()
    hooks = {"response": [no_traceback]}
    with (
        running(create_app(path, Settings(db=str(path)))) as base,
        httpx.Client(base_url=base, timeout=60, event_hooks=hooks) as client,
    ):
        yield client, keys, path


def cli(path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", *args, "--db", str(path)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "QINGLANG_ACTOR": "reg-cli"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def post(client, url: str, key: str, body: dict | None = None) -> dict:
    answer = client.post(url, json=body, headers=auth(key))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def violation(anchor: str, severity: str = "high", **extra) -> dict:
    return {"anchor": anchor, "category": "price_fraud", "severity": severity,
            "evidence": "直播回放 12:30 虚构原价", "origin": "complaint", **extra}  # fmt: skip


def test_every_change_through_the_api_and_the_cli_has_one_audit_entry(served):
    client, keys, path = served
    regulator, platform, anchor = keys["regulator"], keys["platform"], keys["anchor"]
    db = open_db(path)
    flags = [row[0] for row in db.execute("SELECT id FROM flags ORDER BY id")]
    # flag decisions: the API confirms and dismisses, the CLI confirms
    post(client, f"/v1/flags/{flags[0]}/decision", regulator, {"action": "confirm"})
    post(
        client, f"/v1/flags/{flags[1]}/decision", regulator, {"action": "dismiss", "reason": "否定"}
    )
    cli(path, "flags", "decide", str(flags[2]), "--confirm")
    # violations: A3 is blacklisted by the third, then its score and grade stop moving
    for _ in range(6):
        recorded = post(client, "/v1/violations", regulator, violation("A3"))
    assert recorded["credit_before"] == recorded["credit_after"]  # nothing moved: still audited
    cli(path, "violations", "record", "--anchor", "A3", "--category", "price_fraud",
        "--severity", "high", "--evidence", "投诉截图")  # fmt: skip
    # appeals: filed by the anchor's key and by the CLI, decided by both
    mine = post(client, "/v1/violations", regulator, violation("A2", "low"))["violation"]["id"]
    filed = post(client, f"/v1/violations/{mine}/appeals", anchor, {"reason": "原价有凭证"})
    post(client, f"/v1/appeals/{filed['id']}/decision", regulator,
         {"action": "reject", "reason": "凭证不足"})  # fmt: skip
    other = post(client, "/v1/violations", regulator, violation("A2", "medium"))["violation"]["id"]
    appeal_id = cli(path, "appeals", "file", "--violation", str(other), "--reason", "不是我")
    cli(path, "appeals", "decide", appeal_id, "--uphold", "--reason", "属实")
    # a repair application (the policy allows it once a violation is 180 days old), decided
    old = (datetime.now(UTC) - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    post(client, "/v1/violations", regulator, violation("A4", at=old))
    applied = post(
        client, "/v1/anchors/A4/repairs", platform, {"kind": "repair", "reason": "已整改"}
    )
    post(client, f"/v1/repairs/{applied['id']}/decision", regulator,
         {"action": "grant", "reason": "整改到位"})  # fmt: skip
    # scripts: submitted by the anchor, decided through the API and the CLI
    script = {"text": "全网最低价，今天下单再送一斤。", "require_approval": True}
    first = post(client, "/v1/anchors/A2/scripts", anchor, script)["script_id"]
    second = post(client, "/v1/anchors/A2/scripts", anchor, script)["script_id"]
    post(client, f"/v1/scripts/{first}/decision", regulator, {"action": "approve"})
    cli(path, "scripts", "decide", str(second), "--return", "--comments", "删去最低价")
    # publications, keys, live rooms
    post(client, "/v1/disclosure/publish", regulator)
    cli(path, "disclosure", "--publish")
    key_id = cli(path, "keys", "create", "--role", "platform")  # prints the key itself
    listed = db.execute("SELECT id FROM api_keys WHERE prefix = ?", [key_id[:8]]).fetchone()[0]
    cli(path, "keys", "revoke", str(listed))
    room = post(client, "/v1/live/rooms", platform, {"anchor": "A1"})
    post(client, f"/v1/live/rooms/{room['id']}/stop", platform)
    post(client, "/v1/live/rooms", regulator, {"anchor": "A2"})  # still running: started only

    found = coverage(db)
    missing = {kind: f"{len(rows)} rows, {len(entries)} entries"
               for kind, (rows, entries) in found.items() if rows != entries}  # fmt: skip
    assert not missing
    assert all(rows for rows, _ in found.values())  # every kind was driven
    assert audit.verify(db).ok


def test_a_change_that_fails_leaves_no_audit_entry(tmp_path, checker):
    db = open_db(tmp_path / "failed.db")
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚")
    add_anchor(db, "A1", "王阿姨", "W1")
    entries = db["audit_log"].count
    # The credit can no longer be written (as on a full disk): recording the violation fails.
    db.execute(
        "CREATE TEMP TRIGGER refuse BEFORE INSERT ON credit_state "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        record_violation(
            db, anchor="A1", category="price_fraud", severity="high", evidence="截图",
            recorded_by="reg-1", policy=POLICY, categories=list(checker.lexicon.categories),
        )  # fmt: skip
    assert db["violations"].count == 0 and db["audit_log"].count == entries

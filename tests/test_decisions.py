"""One decision operation (`monitor.review.decisions.decide`) on a real SQLite store: an appeal, a repair
application and a script each decided once, with its status, its one audit entry and the
anchor's credit before and after; the refusals (unknown id, an outcome of another kind, no
reason, decided already). Then the same Decision through each skin, the CLI, the API and the
web UI against a real uvicorn server, leaves the same record, audit entry and credit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest
from api_server import auth, running
from ui_login import log_in

from api import create_app
from monitor.credit.policy import load_policy
from monitor.errors import InputError, MissingRecord, NotPending
from monitor.review.decisions import KINDS, OUTCOMES, Decision, decide
from monitor.review.flags import apply_for_repair, file_appeal, record_violation
from monitor.review.prereview import submit_script
from monitor.settings import Settings
from monitor.store import audit
from monitor.store.api_keys import create_key
from monitor.store.db import now_iso, open_db, parse_time
from monitor.store.registry import add_anchor, add_workshop

POLICY = load_policy()
SCRIPT = "这款杨梅是最好吃的，加我微信私聊。"
REASON = {"appeal": "完整录像核实为否定表述", "repair": "整改材料齐全", "script": "删去最好吃的"}
OUTCOME = {"appeal": "uphold", "repair": "grant", "script": "return"}
STATUS = {"appeal": "upheld", "repair": "granted", "script": "returned"}


def _pending(db, checker, kind: str, anchor_id: str) -> int:
    """A new anchor with one record of `kind` waiting for a decision; returns its id."""
    add_anchor(db, anchor_id, f"主播{anchor_id}", "W1")
    if kind == "script":
        sent = submit_script(
            db, checker, POLICY, anchor=anchor_id, text=SCRIPT, submitted_by=anchor_id,
            require_approval=True,
        )  # fmt: skip
        return sent["script_id"]
    violation = record_violation(
        db, anchor=anchor_id, category="price_fraud", severity="high", evidence="虚构原价",
        recorded_by="test", policy=POLICY, categories=["price_fraud"],
        at=now_iso(parse_time(now_iso()) - timedelta(days=200)),  # old enough to repair
    )  # fmt: skip
    if kind == "appeal":
        return file_appeal(db, violation, "录像被截断", anchor_id)
    return apply_for_repair(db, anchor_id, "repair", "已整改：删除原价标注", anchor_id, POLICY)


@pytest.fixture
def store(tmp_path):
    db = open_db(tmp_path / "q.db")
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚")
    return db


def _entries(db, action: str) -> list[dict]:
    return [e for e in audit.entries(db) if e["action"] == action]


def test_upholding_an_appeal_restores_the_credit_with_one_audit_entry(store, checker):
    appeal_id = _pending(store, checker, "appeal", "A1")
    decided = decide(store, Decision("appeal", appeal_id, "uphold", "核实为否定表述", "r1"), POLICY)
    assert decided.status == "upheld" and decided.anchor_id == "A1"
    assert decided.credit_before["score"] < decided.credit_after["score"] == POLICY.start_score
    row = store.execute("SELECT status, decided_by, decision_reason FROM appeals").fetchone()
    assert row == ("upheld", "r1", "核实为否定表述")
    [entry] = _entries(store, "appeal.upheld")
    violation_id = store.execute("SELECT violation_id FROM appeals").fetchone()[0]
    assert entry["subject"] == "anchor:A1" and entry["actor"] == "r1"
    assert entry["detail"] == {
        "appeal_id": appeal_id,
        "violation_id": violation_id,
        "reason": "核实为否定表述",
    }


def test_granting_a_repair_application_raises_the_credit_with_one_audit_entry(store, checker):
    repair_id = _pending(store, checker, "repair", "A1")
    decided = decide(store, Decision("repair", repair_id, "grant", "整改到位", "r1"), POLICY)
    assert decided.status == "granted"
    assert decided.credit_after["score"] > decided.credit_before["score"]
    row = store.execute("SELECT status, decided_by, decision_reason FROM credit_repairs")
    assert row.fetchone() == ("granted", "r1", "整改到位")
    [entry] = _entries(store, "repair.granted")
    assert entry["detail"] == {"repair_id": repair_id, "kind": "repair", "reason": "整改到位"}


def test_returning_a_script_leaves_the_credit_with_one_audit_entry(store, checker):
    script_id = _pending(store, checker, "script", "A1")
    decided = decide(store, Decision("script", script_id, "return", " 删去最好吃的 ", "r1"), POLICY)
    assert decided.status == "returned"
    assert decided.credit_before == decided.credit_after
    row = store.execute("SELECT status, reviewer, comments FROM scripts").fetchone()
    assert row == ("returned", "r1", "删去最好吃的")
    [entry] = _entries(store, "script.returned")
    assert entry["detail"] == {"script_id": script_id, "comments": " 删去最好吃的 "}
    assert decided.to_dict()["script_id"] == script_id


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_decision_is_refused_for_an_unknown_id_another_kinds_outcome_or_no_reason(
    store, checker, kind
):
    record_id = _pending(store, checker, kind, "A1")
    with pytest.raises(MissingRecord, match=f"no .* {record_id + 1}$"):
        decide(store, Decision(kind, record_id + 1, OUTCOME[kind], "x", "r1"), POLICY)
    other = next(o for k, outcomes in OUTCOMES.items() if k != kind for o in outcomes)
    with pytest.raises(InputError, match="choose a decision: " + ", ".join(OUTCOMES[kind])):
        decide(store, Decision(kind, record_id, other, "x", "r1"), POLICY)
    with pytest.raises(InputError, match="needs"):
        decide(store, Decision(kind, record_id, OUTCOME[kind], "  ", "r1"), POLICY)
    table = KINDS[kind].table
    assert store.execute(f"SELECT status FROM {table}").fetchone() == ("pending",)
    assert not _entries(store, f"{kind}.{STATUS[kind]}")


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_record_is_decided_once(store, checker, kind):
    record_id = _pending(store, checker, kind, "A1")
    decide(store, Decision(kind, record_id, OUTCOME[kind], REASON[kind], "r1"), POLICY)
    other = OUTCOMES[kind][1 - OUTCOMES[kind].index(OUTCOME[kind])]
    with pytest.raises(NotPending) as refused:
        decide(store, Decision(kind, record_id, other, REASON[kind], "r2"), POLICY)
    assert refused.value.status == STATUS[kind]
    assert len(_entries(store, f"{kind}.{STATUS[kind]}")) == 1


def test_an_approved_script_needs_no_comments(store, checker):
    import monitor  # the operation is part of the library's public API

    script_id = _pending(store, checker, "script", "A1")
    decision = monitor.Decision("script", script_id, "approve", "", "r1")
    assert monitor.decide(store, decision, POLICY).status == "approved"


# --- the same decision through each skin ---------------------------------------------------

SKINS = ("cli", "api", "ui")
UI_KIND = {"appeal": "appeals", "repair": "repairs", "script": "scripts"}


@pytest.fixture(scope="module")
def served(tmp_path_factory, checker):
    """Per kind, three anchors in the same state, one pending record each (one per skin)."""
    path = tmp_path_factory.mktemp("decisions") / "q.db"
    db = open_db(path)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚")
    records = {
        (kind, skin): _pending(db, checker, kind, f"{kind[0].upper()}{i}")
        for kind in KINDS
        for i, skin in enumerate(SKINS)
    }
    key_id, key = create_key(db, "regulator", label="张科长", actor="test")
    actor = f"key:{key_id}:regulator (张科长)"
    hooks = {"response": [_no_traceback]}
    with (
        running(create_app(path, Settings(db=str(path)))) as base,
        httpx.Client(base_url=base, timeout=60, event_hooks=hooks) as api,
        httpx.Client(base_url=base, timeout=60, event_hooks=hooks) as ui,
    ):
        log_in(ui, key)
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', ui.get("/ui/decisions").text)
        yield {
            "db": db, "path": path, "records": records, "actor": actor, "api": api,
            "ui": ui, "csrf": token.group(1), "key": key,
        }  # fmt: skip
    db.conn.close()


def _no_traceback(response: httpx.Response) -> None:
    response.read()
    assert "Traceback" not in response.text


def _through(served, skin: str, decision: Decision) -> tuple[int, str]:
    """Send `decision` through one skin; returns its status (exit code or HTTP) and its text."""
    if skin == "cli":
        flags = {"appeal": "--reason", "repair": "--reason", "script": "--comments"}
        done = subprocess.run(
            [sys.executable, "-m", "monitor.cli.main", {"appeal": "appeals", "repair": "repair",
             "script": "scripts"}[decision.kind], "decide", str(decision.id),
             f"--{decision.outcome}", flags[decision.kind], decision.reason,
             "--actor", decision.actor, "--db", str(served["path"])],
            capture_output=True, text=True, timeout=120, env=os.environ,
        )  # fmt: skip
        return done.returncode, done.stdout + done.stderr
    if skin == "api":
        field = "comments" if decision.kind == "script" else "reason"
        answer = served["api"].post(
            f"/v1/{decision.kind}s/{decision.id}/decision",
            json={"action": decision.outcome, field: decision.reason},
            headers=auth(served["key"]),
        )
        return answer.status_code, answer.text
    answer = served["ui"].post(
        f"/ui/decisions/{UI_KIND[decision.kind]}/{decision.id}",
        data={"csrf": served["csrf"], "action": decision.outcome, "note": decision.reason},
        headers={"HX-Request": "1"},
    )
    return answer.status_code, answer.text


def _left(db, kind: str, record_id: int) -> dict:
    """What a decision left: the record's decision columns, its audit entry, the credit."""
    table, (who, why) = KINDS[kind].table, KINDS[kind].decided_by
    row = db.execute(f"SELECT status, {who}, {why} FROM {table} WHERE id = ?", [record_id])
    [entry] = [
        e
        for e in audit.entries(db)
        if e["action"] == f"{kind}.{STATUS[kind]}" and e["detail"][f"{kind}_id"] == record_id
    ]
    anchor = entry["subject"]
    detail = {k: v for k, v in entry["detail"].items() if not k.endswith("_id")}
    credit = db.execute(
        "SELECT score, grade, blacklisted_until FROM credit_state WHERE anchor_id = ?",
        [anchor.removeprefix("anchor:")],
    ).fetchone()
    return {"row": row.fetchone(), "actor": entry["actor"], "detail": detail, "credit": credit}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_skin_leaves_the_same_result_for_the_same_decision(served, kind):
    db, records = served["db"], served["records"]
    left = {}
    for skin in SKINS:
        decision = Decision(kind, records[kind, skin], OUTCOME[kind], REASON[kind], served["actor"])
        status, text = _through(served, skin, decision)
        assert status in (0, 200), f"{skin}: {text}"
        left[skin] = _left(db, kind, decision.id)
    assert left["cli"] == left["api"] == left["ui"]
    assert left["api"]["row"] == (STATUS[kind], served["actor"], REASON[kind])


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_skin_refuses_a_decided_record_with_the_librarys_message(served, kind):
    """The API answered a decided script with `not_pending`, decided appeals and applications
    with `already_decided`, and one decided meanwhile by another regulator with `conflict`."""
    record_id = served["records"][kind, "api"]
    decision = Decision(kind, record_id, OUTCOME[kind], REASON[kind], served["actor"])
    if (
        not served["db"]
        .execute(
            f"SELECT 1 FROM {KINDS[kind].table} WHERE id = ? AND status != 'pending'", [record_id]
        )
        .fetchone()
    ):
        decide(served["db"], decision, POLICY)
    with pytest.raises(NotPending) as refused:
        decide(served["db"], decision, POLICY)
    message = str(refused.value)
    cli_code, cli_text = _through(served, "cli", decision)
    api_code, api_text = _through(served, "api", decision)
    ui_code, ui_text = _through(served, "ui", decision)
    assert cli_code == 2 and message in cli_text
    assert api_code == 409 and httpx.Response(409, text=api_text).json() == {
        "error": "already_decided",
        "message": message,
        "detail": {"status": STATUS[kind]},
    }
    assert ui_code == 409 and message.split(" / ")[0] in ui_text

"""The due-process lists over a real uvicorn server: credit-repair applications (`GET /v1/repairs`)
and submitted scripts (`GET /v1/scripts`, `GET /v1/scripts/{id}`): roles (an anchor key sees
only its own), status and anchor filters, paging, and the script detail with its report."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from api_server import auth, no_traceback, running

from api import create_app
from monitor.credit.policy import load_policy
from monitor.review.decisions import Decision, decide
from monitor.review.flags import apply_for_repair, record_violation
from monitor.review.prereview import submit_script
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import now_iso, open_db, parse_time
from monitor.store.registry import add_anchor, add_workshop

SCRIPTS = [  # anchor, text, require_approval
    ("A1", "这款杨梅是最好吃的，加我微信私聊。", True),
    ("A1", "今天的杨梅又大又甜，欢迎品尝。", False),
    ("A1", "全网最低价，吃了能降血压。", True),
    ("A2", "新茶上市，香气清雅。", True),
]


@pytest.fixture(scope="module")
def lists(tmp_path_factory, checker):
    path = tmp_path_factory.mktemp("lists") / "q.db"
    db = open_db(path)
    policy = load_policy()
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1", ["douyin:wang"])
    add_anchor(db, "A2", "李师傅", "W1")
    add_anchor(db, "A3", "赵老板", "W1")
    repairs = {}
    # each with a deduction old enough to repair; a high one, since recovery gives back at most
    # 4 × 2 points in 200 days whatever the phase of its calendar
    for anchor_id in ("A1", "A2", "A3"):
        record_violation(
            db, anchor=anchor_id, category="price_fraud", severity="high", evidence="虚构原价",
            recorded_by="test", policy=policy, categories=["price_fraud"],
            at=now_iso(parse_time(now_iso()) - timedelta(days=200)),
        )  # fmt: skip
        repairs[anchor_id] = apply_for_repair(db, anchor_id, "repair", "已整改", "test", policy)
    decide(db, Decision("repair", repairs["A1"], "grant", "整改到位", "r"), policy)
    decide(db, Decision("repair", repairs["A3"], "refuse", "证据不足", "r"), policy)
    repairs["A1b"] = apply_for_repair(db, "A1", "repair", "再次申请", "test", policy)
    scripts = [
        submit_script(
            db, checker, policy, anchor=a, text=t, submitted_by="test", require_approval=r
        )
        for a, t, r in SCRIPTS
    ]
    decide(db, Decision("script", scripts[2]["script_id"], "return", "删去降血压", "r"), policy)
    keys = {
        "regulator": create_key(db, "regulator", actor="test")[1],
        "platform": create_key(db, "platform", actor="test")[1],
        "anchor": create_key(db, "anchor", "A1", actor="test")[1],
    }
    with (
        running(create_app(path, Settings(db=str(path)))) as base,
        httpx.Client(base_url=base, timeout=30, event_hooks={"response": [no_traceback]}) as client,
    ):
        yield {"client": client, "keys": keys, "repairs": repairs, "scripts": scripts}
    db.conn.close()


def _get(lists, role, path, **params):
    return lists["client"].get(path, params=params, headers=auth(lists["keys"][role]))


@pytest.mark.parametrize("path", ["/v1/repairs", "/v1/scripts", "/v1/scripts/1"])
def test_lists_need_a_key(lists, path):
    response = lists["client"].get(path)
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["regulator", "platform"])
def test_regulator_and_platform_list_every_repair_pending_first(lists, role):
    body = _get(lists, role, "/v1/repairs").json()
    ids = lists["repairs"]
    assert body["total"] == 4
    assert [r["status"] for r in body["items"]] == ["pending", "pending", "refused", "granted"]
    # pending oldest first (A2's before A1's second application), then decided newest first
    assert [r["id"] for r in body["items"]] == [ids["A2"], ids["A1b"], ids["A3"], ids["A1"]]
    assert body["items"][1]["kind"] == "repair"


def test_repairs_filter_by_status_and_anchor(lists):
    pending = _get(lists, "regulator", "/v1/repairs", status="pending").json()
    assert pending["total"] == 2 and {r["anchor_id"] for r in pending["items"]} == {"A1", "A2"}
    mine = _get(lists, "regulator", "/v1/repairs", anchor="douyin:wang").json()
    assert mine["total"] == 2 and {r["anchor_id"] for r in mine["items"]} == {"A1"}
    both = _get(lists, "platform", "/v1/repairs", anchor="A3", status="refused").json()
    assert [r["decision_reason"] for r in both["items"]] == ["证据不足"]
    assert _get(lists, "regulator", "/v1/repairs", status="granted", anchor="A2").json() == {
        "items": [],
        "total": 0,
    }


def test_repairs_page(lists):
    whole = [r["id"] for r in _get(lists, "regulator", "/v1/repairs").json()["items"]]
    first = _get(lists, "regulator", "/v1/repairs", limit=3).json()
    rest = _get(lists, "regulator", "/v1/repairs", limit=3, offset=3).json()
    assert first["total"] == rest["total"] == 4
    assert [r["id"] for r in first["items"] + rest["items"]] == whole
    beyond = _get(lists, "regulator", "/v1/repairs", offset=10).json()
    assert beyond == {"items": [], "total": 4}


def test_an_anchor_key_lists_only_its_own_repairs(lists):
    body = _get(lists, "anchor", "/v1/repairs").json()
    assert body["total"] == 2 and {r["anchor_id"] for r in body["items"]} == {"A1"}
    assert _get(lists, "anchor", "/v1/repairs", anchor="A1").json()["total"] == 2
    refused = _get(lists, "anchor", "/v1/repairs", anchor="A2")
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"status": "approved"}, 422),
        ({"status": ""}, 422),
        ({"limit": 0}, 422),
        ({"limit": 501}, 422),
        ({"offset": -1}, 422),
        ({"anchor": "nobody"}, 404),
    ],
)
def test_bad_list_parameters_are_4xx(lists, params, status):
    assert _get(lists, "regulator", "/v1/repairs", **params).status_code == status
    if params.get("status") != "approved":  # approved is a script status
        assert _get(lists, "regulator", "/v1/scripts", **params).status_code == status


def test_scripts_list_has_status_verdict_and_hits_not_the_text(lists):
    body = _get(lists, "regulator", "/v1/scripts").json()
    sent = lists["scripts"]
    assert body["total"] == 4
    first = body["items"][0]
    assert set(first) == {
        "id", "anchor_id", "product_id", "submitted_at", "for_stream_at", "status", "reviewer",
        "comments", "decided_at", "verdict", "hits",
    }  # fmt: skip
    by_id = {s["id"]: s for s in body["items"]}
    for submitted in sent:
        listed = by_id[submitted["script_id"]]
        assert listed["verdict"] == submitted["report"]["verdict"]
        assert listed["hits"] == len(submitted["report"]["hits"])
    assert by_id[sent[0]["script_id"]]["hits"] >= 2  # 最好吃, 加我微信
    assert by_id[sent[1]["script_id"]]["status"] == "checked"
    returned = by_id[sent[2]["script_id"]]
    assert returned["status"] == "returned" and returned["comments"] == "删去降血压"
    # pending first, oldest first
    assert [s["id"] for s in body["items"][:2]] == [sent[0]["script_id"], sent[3]["script_id"]]


def test_scripts_filter_page_and_anchor_keys(lists):
    pending = _get(lists, "platform", "/v1/scripts", status="pending").json()
    assert pending["total"] == 2 and {s["anchor_id"] for s in pending["items"]} == {"A1", "A2"}
    a2 = _get(lists, "regulator", "/v1/scripts", anchor="A2").json()
    assert a2["total"] == 1
    page = _get(lists, "regulator", "/v1/scripts", limit=1, offset=1).json()
    assert page["total"] == 4 and len(page["items"]) == 1
    own = _get(lists, "anchor", "/v1/scripts").json()
    assert own["total"] == 3 and {s["anchor_id"] for s in own["items"]} == {"A1"}
    assert _get(lists, "anchor", "/v1/scripts", anchor="A2").status_code == 403


def test_script_detail_has_the_text_and_report(lists):
    sent = lists["scripts"][0]
    body = _get(lists, "regulator", f"/v1/scripts/{sent['script_id']}").json()
    assert body["text"] == SCRIPTS[0][1]
    assert body["report"] == sent["report"]
    assert body["status"] == "pending" and body["hits"] == len(sent["report"]["hits"])
    own = _get(lists, "anchor", f"/v1/scripts/{sent['script_id']}")
    assert own.status_code == 200 and own.json()["id"] == sent["script_id"]
    other = lists["scripts"][3]["script_id"]
    assert _get(lists, "anchor", f"/v1/scripts/{other}").status_code == 403
    missing = _get(lists, "regulator", "/v1/scripts/999999")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert _get(lists, "regulator", "/v1/scripts/0").status_code == 422

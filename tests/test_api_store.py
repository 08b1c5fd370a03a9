"""The store API against a real uvicorn server: roles on every group, flag filters and paging, the
review path from a stored flag to a violation and a lower score, registry CRUD with 409s,
appeals, repairs, the blacklist, script pre-review, disclosure, statistics, `?anchor=` forms for
accounts with `/`, and a stream's recording served with Range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from api_server import auth, no_traceback, running
from speech_audio import tone

from api import create_app
from monitor.credit.policy import load_policy
from monitor.settings import Settings
from monitor.store import audit
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.flag_store import record_check
from monitor.store.registry import add_anchor, add_product, add_workshop

TEXTS = {
    # one hit per sentence, so one flag each (one utterance is one flag)
    "S1": ("A1", "全网最低价。加我微信。"),  # price_fraud, off_platform_trading
    "S2": ("A2", "这款茶能治疗高血压。喝了就好。"),  # two medical_claims
    "S3": ("A3", "国家级的。特供的。销量第一。"),  # absolute_terms ×2, authority_endorsement
}
SLASH_ACCOUNT = "kuaishou:shop/wang"


@pytest.fixture(scope="module")
def store(tmp_path_factory, checker):
    folder = tmp_path_factory.mktemp("store_api")
    path = folder / "q.db"
    db = open_db(path)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_workshop(db, "W2", "四明山茶工坊", "余姚市四明山镇")
    add_anchor(db, "A1", "王阿姨", "W1", ["douyin:wang", SLASH_ACCOUNT])
    add_anchor(db, "A2", "李师傅", "W2", ["douyin:li/2"])
    for anchor_id in ("A3", "A4", "A5", "A6"):
        add_anchor(db, anchor_id, f"主播{anchor_id}", "W1")
    add_product(db, "P1", "梁弄杨梅", workshop_id="W1", origin="浙江省宁波市余姚市梁弄镇")
    for stream_id, (anchor_id, text) in TEXTS.items():
        record_check(
            db,
            checker.check(text),
            text,
            anchor_id=anchor_id,
            stream_id=stream_id,
            product_id="P1" if stream_id == "S1" else None,
        )
    media = tone(folder / "s1.wav", 1)
    db.execute("UPDATE streams SET media_path = ? WHERE id = 'S1'", [str(media)])
    db.conn.commit()
    keys = {
        "regulator": create_key(db, "regulator", actor="test")[1],
        "platform": create_key(db, "platform", actor="test")[1],
        "anchor": create_key(db, "anchor", "A1", actor="test")[1],
        "anchor4": create_key(db, "anchor", "A4", actor="test")[1],
        "worker": create_key(db, "worker", actor="test")[1],
    }
    app = create_app(path, Settings(db=str(path)))
    with (
        running(app) as base,
        httpx.Client(base_url=base, timeout=30, event_hooks={"response": [no_traceback]}) as client,
    ):
        yield client, keys, db, media.read_bytes()
    db.conn.close()


def _as(store, role):
    client, keys, _, _ = store
    return client, auth(keys[role])


def _flag_ids(db, stream_id):
    return [r[0] for r in db.execute("SELECT id FROM flags WHERE stream_id = ?", [stream_id])]


# --- roles ---------------------------------------------------------------------------------

STORE_READS = [
    "/v1/flags",
    "/v1/workshops",
    "/v1/anchors",
    "/v1/products",
    "/v1/violations",
    "/v1/appeals",
    "/v1/blacklist",
    "/v1/stats/workshops",
    "/v1/streams/S1",
    f"/v1/credit?anchor={SLASH_ACCOUNT}",
]


@pytest.mark.parametrize("path", STORE_READS)
def test_store_reads_need_a_key(store, path):
    client, _, _, _ = store
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/flags?anchor=A2",
        "/v1/flags?anchor=douyin:li/2",
        "/v1/anchors/A2",
        "/v1/anchors/A2/violations",
        "/v1/violations?anchor=A2",
        "/v1/appeals?anchor=A2",
        "/v1/streams/S2",
        "/v1/eligibility?anchor=douyin:li/2",
        "/v1/blacklist",
        "/v1/workshops",
        "/v1/products",
    ],
)
def test_an_anchor_key_may_not_read_other_anchors_or_the_registry(store, path):
    client, headers = _as(store, "anchor")
    assert client.get(path, headers=headers).status_code == 403


@pytest.mark.parametrize(
    "path", [*STORE_READS, "/v1/anchors/A1/credit", "/v1/anchors/A1/eligibility", "/v1/jobs"]
)
def test_a_worker_key_may_not_read_flags_credit_or_the_registry(store, path):
    client, headers = _as(store, "worker")
    response = client.get(path, headers=headers)
    assert response.status_code == 403
    assert "工作节点" in response.json()["message"]


def test_a_worker_key_may_not_check_text(store):
    client, headers = _as(store, "worker")
    assert client.post("/v1/check", json={"text": "全网最低价"}, headers=headers).status_code == 403


def test_an_anchor_key_may_not_read_another_anchors_flag(store):
    client, headers = _as(store, "anchor")
    flag_id = _flag_ids(store[2], "S2")[0]
    assert client.get(f"/v1/flags/{flag_id}", headers=headers).status_code == 403


def test_an_anchor_key_lists_only_its_own_flags_and_itself(store):
    client, headers = _as(store, "anchor")
    flags = client.get("/v1/flags", headers=headers).json()
    assert flags["total"] == 2 and {f["anchor_id"] for f in flags["items"]} == {"A1"}
    anchors = client.get("/v1/anchors", headers=headers).json()
    assert [a["id"] for a in anchors["items"]] == ["A1"] and anchors["total"] == 1


@pytest.mark.parametrize(
    "path, body",
    [
        ("/v1/flags/{flag}/decision", {"action": "confirm"}),
        ("/v1/workshops", {"id": "W9", "name": "x"}),
        ("/v1/anchors", {"id": "A9", "name": "x"}),
        ("/v1/products", {"id": "P9", "name": "x"}),
        (
            "/v1/violations",
            {"anchor": "A2", "category": "price_fraud", "severity": "low", "evidence": "x"},
        ),
        ("/v1/appeals/1/decision", {"action": "uphold", "reason": "x"}),
        ("/v1/repairs/1/decision", {"action": "grant", "reason": "x"}),
        ("/v1/scripts/1/decision", {"action": "approve"}),
        ("/v1/disclosure/publish", None),
    ],
)
@pytest.mark.parametrize("role", ["platform", "anchor"])
def test_only_a_regulator_decides_or_writes(store, path, body, role):
    client, headers = _as(store, role)
    path = path.format(flag=_flag_ids(store[2], "S1")[0])
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 403, response.text


# --- flags ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ("stream=S1", {"S1"}),
        ("anchor=A2", {"S2"}),
        ("anchor=douyin:wang", {"S1"}),
        (f"anchor={SLASH_ACCOUNT}", {"S1"}),
        ("workshop=W2", {"S2"}),
        ("category=medical_claims", {"S2"}),
        ("category=price_fraud", {"S1"}),
        ("stream=S1&status=open", {"S1"}),
    ],
)
def test_each_flag_filter_narrows_the_list(store, query, expected):
    client, headers = _as(store, "platform")
    listed = client.get(f"/v1/flags?{query}", headers=headers).json()
    assert {f["stream_id"] for f in listed["items"]} == expected
    assert listed["total"] == len(listed["items"]) > 0
    everything = client.get("/v1/flags", headers=headers).json()["total"]
    assert listed["total"] < everything


def test_status_and_time_filters_exclude(store):
    client, headers = _as(store, "platform")
    total = client.get("/v1/flags", headers=headers).json()["total"]
    for query in ("stream=S1&status=dismissed", "since=2999-01-01T00:00:00Z", "until=2000-01-01"):
        assert client.get(f"/v1/flags?{query}", headers=headers).json()["total"] == 0, query
    since = client.get("/v1/flags?since=2000-01-01T08:00:00%2B08:00", headers=headers).json()
    assert since["total"] == total == 7


@pytest.mark.parametrize(
    "query",
    [
        "since=yesterday",
        "until=2026-13-01",
        "since=9999-12-31T23:00:00-05:00",
        "until=1700000000",
        "status=closed",
        "order=random",
        "limit=0",
        "limit=501",
    ],
)
def test_bad_flag_filters_are_refused(store, query):
    client, headers = _as(store, "regulator")
    assert client.get(f"/v1/flags?{query}", headers=headers).status_code in (400, 422)


def test_pages_split_the_list_and_keep_the_total(store):
    client, headers = _as(store, "regulator")
    whole = client.get("/v1/flags?limit=500", headers=headers).json()
    pages = [client.get(f"/v1/flags?limit=3&offset={o}", headers=headers).json() for o in (0, 3, 6)]
    assert all(page["total"] == whole["total"] for page in pages)
    assert [f["id"] for page in pages for f in page["items"]] == [f["id"] for f in whole["items"]]
    newest = client.get("/v1/flags?order=time&limit=500", headers=headers).json()["items"]
    assert [f["created_at"] for f in newest] == sorted(
        (f["created_at"] for f in newest), reverse=True
    )


def test_a_flag_carries_what_a_reviewer_needs(store):
    client, headers = _as(store, "anchor")
    flag_id = _flag_ids(store[2], "S1")[0]
    flag = client.get(f"/v1/flags/{flag_id}", headers=headers).json()
    assert flag["context"][flag["start"] : flag["end"]] == flag["text"]
    assert flag["basis"] and flag["suggestion"] and flag["rule"] and flag["reasons"]
    assert flag["stream"]["id"] == "S1" and flag["stream"]["has_media"] is True
    assert flag["stream"]["started_at"] and flag["decision"] is None


def test_an_unknown_flag_is_a_404(store):
    client, headers = _as(store, "regulator")
    assert client.get("/v1/flags/999999", headers=headers).status_code == 404
    body = {"action": "confirm"}
    assert client.post("/v1/flags/999999/decision", json=body, headers=headers).status_code == 404


# --- the review path -----------------------------------------------------------------------


def test_confirming_a_flag_records_a_violation_and_lowers_the_score(store):
    client, headers = _as(store, "regulator")
    db = store[2]
    flag_id = _flag_ids(db, "S3")[0]
    flag = client.get(f"/v1/flags/{flag_id}", headers=headers).json()
    before = client.get("/v1/anchors/A3/credit", headers=headers).json()["score"]
    decided = client.post(
        f"/v1/flags/{flag_id}/decision", json={"action": "confirm", "note": "原话"}, headers=headers
    )
    assert decided.status_code == 200, decided.text
    result = decided.json()
    drop = load_policy().base_deduction(flag["category"], flag["severity"])
    assert result["credit_before"]["score"] == before
    assert result["credit_after"]["score"] == pytest.approx(before - drop)
    after = client.get("/v1/anchors/A3/credit", headers=headers).json()["score"]
    assert after == result["credit_after"]["score"]
    violations = client.get("/v1/violations?anchor=A3", headers=headers).json()["items"]
    assert [v["flag_id"] for v in violations] == [flag_id]
    assert violations[0]["id"] == result["violation_id"]
    logged = audit.entries(db, f"flag:{flag_id}")
    assert (
        logged[0]["action"] == "flag.confirm"
        and logged[0]["actor"].startswith("key:")
        and ":regulator" in logged[0]["actor"]
    )
    shown = client.get(f"/v1/flags/{flag_id}", headers=headers).json()
    assert shown["status"] == "confirmed" and shown["decision"]["note"] == "原话"


def test_a_dismissal_needs_a_reason_and_leaves_credit_alone(store):
    client, headers = _as(store, "regulator")
    flag_id = _flag_ids(store[2], "S3")[1]
    url = f"/v1/flags/{flag_id}/decision"
    refused = client.post(url, json={"action": "dismiss"}, headers=headers)
    assert refused.status_code == 422 and "reason" in refused.json()["message"]
    blank = client.post(url, json={"action": "dismiss", "reason": "  "}, headers=headers)
    assert blank.status_code == 422
    done = client.post(
        url, json={"action": "dismiss", "reason": "上下文为产地介绍"}, headers=headers
    )
    result = done.json()
    assert result["violation_id"] is None and result["credit_before"] == result["credit_after"]


def test_deciding_a_decided_flag_is_a_409(store):
    client, headers = _as(store, "regulator")
    flag_id = _flag_ids(store[2], "S3")[2]
    url = f"/v1/flags/{flag_id}/decision"
    assert client.post(
        url, json={"action": "dismiss", "reason": "误报"}, headers=headers
    ).is_success
    again = client.post(url, json={"action": "confirm"}, headers=headers)
    assert again.status_code == 409 and "already" in again.json()["message"]
    assert again.json()["error"] == "already_decided"
    assert again.json()["detail"] == {"status": "dismissed"}


# --- registry ------------------------------------------------------------------------------


def test_workshop_round_trip_is_audited(store):
    client, headers = _as(store, "regulator")
    created = client.post("/v1/workshops", json={"id": "W7", "name": "临时工坊"}, headers=headers)
    assert created.status_code == 201 and created.json()["region"] == ""
    duplicate = client.post("/v1/workshops", json={"id": "W7", "name": "x"}, headers=headers)
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "conflict"
    # a refusal for another reason is a 400, even when the id is taken too
    blank = client.post("/v1/workshops", json={"id": "W7", "name": " "}, headers=headers)
    assert blank.status_code == 400 and "name" in blank.json()["message"]
    changed = client.patch("/v1/workshops/W7", json={"region": "鄞州区"}, headers=headers)
    assert changed.json() == {**created.json(), "region": "鄞州区"}
    platform = _as(store, "platform")[1]
    assert client.get("/v1/workshops/W7", headers=platform).json()["region"] == "鄞州区"
    assert client.delete("/v1/workshops/W7", headers=headers).status_code == 204
    assert client.get("/v1/workshops/W7", headers=headers).status_code == 404
    actions = [e["action"] for e in audit.entries(store[2], "workshop:W7")]
    assert actions == ["workshop.delete", "workshop.update", "workshop.add"]


def test_anchor_round_trip_with_accounts(store):
    client, headers = _as(store, "regulator")
    body = {"id": "A8", "name": "新主播", "workshop_id": "W2", "accounts": ["douyin:new8"]}
    created = client.post("/v1/anchors", json=body, headers=headers)
    assert created.status_code == 201 and created.json()["accounts"] == ["douyin:new8"]
    patch = {
        "workshop_id": None,
        "add_accounts": ["taobao:a/8"],
        "remove_accounts": ["douyin:new8"],
    }
    changed = client.patch("/v1/anchors/A8", json=patch, headers=headers).json()
    assert changed["workshop_id"] is None and changed["accounts"] == ["taobao:a/8"]
    taken = client.patch("/v1/anchors/A8", json={"add_accounts": ["douyin:wang"]}, headers=headers)
    assert taken.status_code == 409
    again = client.post("/v1/anchors", json={**body, "id": "A8b"}, headers=headers)
    assert again.status_code == 201  # douyin:new8 was freed
    dup_account = client.post(
        "/v1/anchors", json={"id": "A8c", "name": "x", "accounts": ["douyin:wang"]}, headers=headers
    )
    assert dup_account.status_code == 409
    unknown_ws = client.post(
        "/v1/anchors", json={"id": "A8d", "name": "x", "workshop_id": "nope"}, headers=headers
    )
    assert unknown_ws.status_code == 404
    assert client.get("/v1/anchors?workshop=W2", headers=headers).json()["total"] == 2
    assert client.delete("/v1/anchors/A8", headers=headers).status_code == 204
    assert client.get("/v1/anchors/A8", headers=headers).status_code == 404
    gone = client.get("/v1/credit", params={"anchor": "taobao:a/8"}, headers=headers)
    assert gone.status_code == 404


def test_product_round_trip(store):
    client, headers = _as(store, "regulator")
    body = {
        "id": "P7",
        "name": "四明山云雾茶",
        "workshop_id": "W2",
        "product_class": "food",
        "origin": "浙江省宁波市余姚市四明山镇",
        "certifications": [{"type": "green_food", "number": "LB-12-345"}],
        "registration_numbers": ["SC12345"],
    }
    created = client.post("/v1/products", json=body, headers=headers)
    assert created.status_code == 201
    assert created.json()["certifications"][0]["number"] == "LB-12-345"
    assert client.post("/v1/products", json=body, headers=headers).status_code == 409
    bad = {**body, "id": "P8", "certifications": [{"type": "made_up"}]}
    assert client.post("/v1/products", json=bad, headers=headers).status_code == 422
    changed = client.patch("/v1/products/P7", json={"producer": "四明山合作社"}, headers=headers)
    assert (
        changed.json()["producer"] == "四明山合作社" and changed.json()["origin"] == body["origin"]
    )
    listed = client.get("/v1/products?workshop=W2", headers=headers).json()
    assert [p["id"] for p in listed["items"]] == ["P7"]
    assert client.delete("/v1/products/P7", headers=headers).status_code == 204
    assert client.patch("/v1/products/P7", json={}, headers=headers).status_code == 404


@pytest.mark.parametrize(
    "path, referrer",
    [
        ("/v1/workshops/W1", "anchors"),
        ("/v1/anchors/A1", "streams"),
        ("/v1/products/P1", "streams"),
    ],
)
def test_deleting_what_history_refers_to_is_a_409(store, path, referrer):
    client, headers = _as(store, "regulator")
    response = client.delete(path, headers=headers)
    assert response.status_code == 409
    assert referrer in response.json()["detail"]["referenced_by"]
    assert client.get(path, headers=headers).status_code == 200


# --- violations, appeals, repairs, blacklist -----------------------------------------------


def _violation(client, headers, anchor, severity="medium", category="price_fraud", **extra):
    body = {"anchor": anchor, "category": category, "severity": severity,
            "evidence": "2026-05-01 直播回放 12:30 虚构原价", "origin": "complaint", **extra}  # fmt: skip
    response = client.post("/v1/violations", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_violation_needs_evidence(store):
    client, headers = _as(store, "regulator")
    body = {"anchor": "A5", "category": "price_fraud", "severity": "low", "evidence": ""}
    assert client.post("/v1/violations", json=body, headers=headers).status_code == 422
    body["evidence"], body["category"] = "x", "made_up"
    assert client.post("/v1/violations", json=body, headers=headers).status_code == 400


def test_an_upheld_appeal_restores_the_credit(store):
    client, regulator = _as(store, "regulator")
    start = client.get("/v1/anchors/A4/credit", headers=regulator).json()["score"]
    recorded = _violation(client, regulator, "A4")
    assert recorded["credit_before"]["score"] == start > recorded["credit_after"]["score"]
    violation_id = recorded["violation"]["id"]
    url = f"/v1/violations/{violation_id}/appeals"
    other = _as(store, "anchor")[1]
    assert client.post(url, json={"reason": "不是我"}, headers=other).status_code == 403
    own = _as(store, "anchor4")[1]
    filed = client.post(url, json={"reason": "原价有凭证"}, headers=own)
    assert filed.status_code == 201 and filed.json()["status"] == "pending"
    again = client.post(url, json={"reason": "再申诉"}, headers=own)
    assert again.status_code == 409 and again.json()["error"] == "already_appealed"
    assert again.json()["detail"] == {"status": "appealed"}
    mine = client.get("/v1/appeals?status=pending", headers=own).json()
    assert [a["id"] for a in mine["items"]] == [filed.json()["id"]]
    decision = f"/v1/appeals/{filed.json()['id']}/decision"
    upheld = client.post(
        decision, json={"action": "uphold", "reason": "凭证属实"}, headers=regulator
    )
    assert upheld.json()["credit_after"]["score"] == start
    assert upheld.json()["credit_before"]["score"] == recorded["credit_after"]["score"]
    again = client.post(decision, json={"action": "reject", "reason": "x"}, headers=regulator)
    assert again.status_code == 409
    listed = client.get("/v1/anchors/A4/violations", headers=own).json()["items"]
    assert listed[0]["status"] == "overturned"


def test_a_repair_application_is_decided_once(store):
    client, regulator = _as(store, "regulator")
    fresh = {"kind": "repair", "reason": "已整改"}
    _violation(client, regulator, "A5", "low")
    too_soon = client.post("/v1/anchors/A5/repairs", json=fresh, headers=regulator)
    assert too_soon.status_code == 409 and "nothing to repair" in too_soon.json()["message"]
    assert too_soon.json()["error"] == "conflict"
    old = (datetime.now(UTC) - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # old enough for repair (policy: 180 d); high, so that it still deducts whatever the phase of
    # the recovery calendar (at most 4 recovery dates × 2 points in the 110 clean days)
    _violation(client, regulator, "A5", "high", at=old)
    platform = _as(store, "platform")[1]
    body = {"kind": "repair", "reason": "已完成合规培训并整改话术"}
    filed = client.post("/v1/anchors/A5/repairs", json=body, headers=platform)
    assert filed.status_code == 201 and filed.json()["status"] == "pending"
    again = client.post("/v1/anchors/A5/repairs", json=body, headers=platform)
    assert again.status_code == 409 and again.json()["error"] == "already_pending"
    other = _as(store, "anchor")[1]
    assert client.post("/v1/anchors/A5/repairs", json=body, headers=other).status_code == 403
    url = f"/v1/repairs/{filed.json()['id']}/decision"
    decided = client.post(
        url, json={"action": "refuse", "reason": "整改未满期限"}, headers=regulator
    )
    assert decided.json()["status"] == "refused"
    assert decided.json()["credit_before"] == decided.json()["credit_after"]
    again = client.post(url, json={"action": "grant", "reason": "x"}, headers=regulator)
    assert again.status_code == 409


def test_three_high_violations_put_an_anchor_on_the_blacklist(store):
    client, regulator = _as(store, "regulator")
    for category in ("medical_claims", "price_fraud", "superstition"):
        last = _violation(client, regulator, "A6", "high", category)
    assert last["credit_after"]["blacklisted"] and not last["credit_before"]["blacklisted"]
    platform = _as(store, "platform")[1]
    listed = client.get("/v1/blacklist", headers=platform).json()
    entry = next(e for e in listed["items"] if e["anchor_id"] == "A6")
    assert entry["name"] == "主播A6" and entry["until"] > entry["listed_at"]
    gate = client.get("/v1/eligibility?anchor=A6", headers=platform).json()
    assert gate["may_register"] is False


# --- scripts, disclosure, statistics -------------------------------------------------------


def test_a_script_is_checked_at_once_and_reviewed(store):
    client, own = _as(store, "anchor")
    body = {"text": "全网最低价，今天下单再送一斤。", "require_approval": True, "product_id": "P1"}
    assert client.post("/v1/anchors/A2/scripts", json=body, headers=own).status_code == 403
    submitted = client.post("/v1/anchors/A1/scripts", json=body, headers=own)
    assert submitted.status_code == 201
    script = submitted.json()
    assert script["status"] == "pending" and script["report"]["verdict"] != "pass"
    regulator = _as(store, "regulator")[1]
    url = f"/v1/scripts/{script['script_id']}/decision"
    assert client.post(url, json={"action": "return"}, headers=regulator).status_code == 422
    approved = client.post(url, json={"action": "approve"}, headers=regulator)
    assert approved.json() == {"script_id": script["script_id"], "status": "approved"}
    assert client.post(url, json={"action": "approve"}, headers=regulator).status_code == 409


def test_disclosure_needs_no_key_and_publishing_records_the_audit_head(store):
    client, _, db, _ = store
    public = client.get("/v1/public/disclosure")
    assert public.status_code == 200
    assert {"id": "P1", "origin": "浙江省宁波市余姚市梁弄镇"}.items() <= public.json()["products"][
        0
    ].items()
    regulator = _as(store, "regulator")[1]
    head = audit.verify(db).head
    published = client.post("/v1/disclosure/publish", headers=regulator).json()
    assert published["audit_head"] == head
    assert audit.entries(db, "disclosure")[0]["detail"]["audit_head"] == head


def test_workshop_statistics_rank_workshops(store):
    client, headers = _as(store, "platform")
    stats = client.get("/v1/stats/workshops", headers=headers).json()
    rows = {row["workshop_id"]: row for row in stats["items"]}
    assert rows["W2"]["streams"] == 1 and rows["W2"]["flags"] == 2
    assert sorted(row["rank"] for row in stats["items"]) == list(range(1, len(rows) + 1))
    empty = client.get("/v1/stats/workshops?since=2999-01-01", headers=headers).json()
    assert all(row["streams"] == 0 for row in empty["items"])
    assert client.get("/v1/stats/workshops?until=soon", headers=headers).status_code == 422


# --- accounts with `/`, streams and recordings ---------------------------------------------


@pytest.mark.parametrize("role", ["platform", "anchor"])
def test_query_forms_take_an_account_with_a_slash(store, role):
    client, headers = _as(store, role)
    gate = client.get("/v1/eligibility", params={"anchor": SLASH_ACCOUNT}, headers=headers)
    assert gate.status_code == 200 and gate.json()["anchor_id"] == "A1"
    credit = client.get("/v1/credit", params={"anchor": SLASH_ACCOUNT}, headers=headers)
    assert credit.json()["anchor_id"] == "A1"
    path_form = client.get("/v1/anchors/A1/credit", headers=headers).json()
    assert credit.json()["score"] == path_form["score"]
    unknown = client.get("/v1/credit", params={"anchor": "kuaishou:no/one"}, headers=headers)
    assert unknown.status_code == (404 if role == "platform" else 403)


def test_a_stream_counts_its_flags(store):
    client, headers = _as(store, "anchor")
    stream = client.get("/v1/streams/S1", headers=headers).json()
    assert stream["anchor_id"] == "A1" and stream["product_id"] == "P1" and stream["has_media"]
    assert stream["flags"] == {"open": 2, "confirmed": 0, "dismissed": 0}
    assert client.get("/v1/streams/nope", headers=headers).status_code == 404


def test_a_recording_is_served_with_ranges(store):
    client, headers = _as(store, "regulator")
    audio = store[3]
    whole = client.get("/v1/streams/S1/media", headers=headers)
    assert whole.status_code == 200 and whole.content == audio
    assert whole.headers["accept-ranges"] == "bytes"
    part = client.get("/v1/streams/S1/media", headers={**headers, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == audio[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(audio)}"
    assert client.get("/v1/streams/S2/media", headers=headers).status_code == 404
    platform = _as(store, "platform")[1]
    assert client.get("/v1/streams/S1/media", headers=platform).status_code == 200
    other = _as(store, "anchor4")[1]  # an anchor key of another anchor
    assert client.get("/v1/streams/S1/media", headers=other).status_code == 403


@pytest.mark.parametrize(
    "path, body, field, code",
    [
        ("/v1/workshops", {"id": "W\x009", "name": "工坊"}, "body.id", "U+0000"),
        ("/v1/anchors", {"id": "A1\u202e", "name": "主播"}, "body.id", "U+202E"),
        ("/v1/anchors", {"id": "A9", "name": "主播", "workshop_id": "W1\u200b"}, "body.workshop_id",
         "U+200B"),
        ("/v1/anchors", {"id": "A9", "name": "主播", "accounts": ["douyin:a\u2066"]},
         "body.accounts.0", "U+2066"),
        ("/v1/products", {"id": "\ufeffP9", "name": "杨梅"}, "body.id", "U+FEFF"),
    ],
)  # fmt: skip
def test_a_look_alike_registry_id_is_a_422_naming_the_field_and_character(
    store, path, body, field, code
):
    client, headers = _as(store, "regulator")
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["field"] == field and code in problem["problem"]


def test_a_registry_id_is_stored_in_nfc(store):
    client, headers = _as(store, "regulator")
    created = client.post("/v1/workshops", json={"id": "Cafe\u0301", "name": "x"}, headers=headers)
    assert created.status_code == 201 and created.json()["id"] == "Caf\u00e9"
    assert client.delete("/v1/workshops/Caf\u00e9", headers=headers).status_code == 204


def test_a_caption_upload_with_a_stream_id_outside_the_pattern_is_a_422(store):
    client, headers = _as(store, "regulator")
    response = client.post(
        "/v1/captions",
        files={"file": ("a.srt", "1\n00:00:01,000 --> 00:00:02,000\n你好\n".encode())},
        data={"anchor": "A1", "stream": "S/9"},
        headers=headers,
    )
    assert response.status_code == 422 and "stream" in response.json()["detail"][0]["field"]


@pytest.mark.parametrize(
    "path, methods",
    [("/v1/anchors", {"GET", "POST"}), ("/v1/anchors/A1", {"GET", "PATCH", "DELETE"})],
)
def test_an_undeclared_method_is_a_405_allowing_every_method_of_the_path(store, path, methods):
    client, headers = _as(store, "regulator")
    answer = client.request("OPTIONS", path, headers=headers)
    assert answer.status_code == 405
    assert {m.strip() for m in answer.headers["allow"].split(",")} - {"HEAD"} == methods


@pytest.mark.parametrize("path", ["/v1/anchors", "/v1/products"])
def test_naming_a_workshop_that_does_not_exist_is_a_404(store, path):
    client, headers = _as(store, "regulator")
    body = {"id": "X404", "name": "x", "workshop_id": "W404"}
    answer = client.post(path, json=body, headers=headers)
    assert answer.status_code == 404 and "W404" in answer.json()["message"]

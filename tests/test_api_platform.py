"""What a platform relies on, against a real uvicorn server: the go-live gate answers for accounts
qinglang has no record of (known: false, with what to do) as the credit policy says, and
GET /v1/streams lists streams filtered by anchor, workshop, live status, Beijing dates, flags and
recording, paged, with an anchor key limited to its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest
from api_server import auth, no_traceback, running
from speech_audio import tone

from api import create_app
from monitor.credit.eligibility import eligibility
from monitor.credit.policy import PolicyError, default_policy_path, load_policy
from monitor.review.flags import record_violation
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db, transaction
from monitor.store.flag_store import record_check
from monitor.store.registry import add_anchor, add_workshop

POLICY = load_policy()
# stream: (anchor, text, started_at in UTC); S1 and S2 are an hour apart across Beijing midnight
STREAMS = {
    "S1": ("A1", "我们的杨梅是全网最低价。", "2025-06-01T16:30:00Z"),  # Beijing 06-02 00:30
    "S2": ("A1", "今天给大家介绍梁弄的杨梅，酸甜可口。", "2025-06-01T15:30:00Z"),  # 06-01 23:30
    "S3": ("A2", "加我微信私聊。", "2025-06-05T02:00:00Z"),
    "S4": ("A3", "这款茶能治疗高血压。", "2025-05-20T08:00:00Z"),
}
LIVE = "S5"  # A2's stream watched by a live room, started now


@pytest.fixture(scope="module")
def platform(tmp_path_factory, checker):
    folder = tmp_path_factory.mktemp("platform")
    path = folder / "q.db"
    db = open_db(path)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_workshop(db, "W2", "四明山茶工坊", "余姚市四明山镇")
    add_anchor(db, "A1", "王阿姨", "W1", ["douyin:wang"])
    add_anchor(db, "A2", "李师傅", "W1")
    add_anchor(db, "A3", "赵老板", "W2", ["kuaishou:zhao"])
    for stream_id, (anchor_id, text, started_at) in STREAMS.items():
        record_check(db, checker.check(text), text, anchor_id=anchor_id, stream_id=stream_id)
        with transaction(db):
            db.execute("UPDATE streams SET started_at = ? WHERE id = ?", [started_at, stream_id])
    with transaction(db):
        db.execute("UPDATE flags SET status = 'dismissed' WHERE stream_id = 'S3'")
        db.execute(
            "UPDATE streams SET media_path = ? WHERE id = 'S1'",
            [str(tone(folder / "s1.wav", 1))],
        )
    for n in range(3):  # three high-severity violations: A3 is blacklisted
        record_violation(
            db, anchor="A3", category="medical_claims", severity="high",
            evidence=f"投诉 {n}：能治疗高血压", recorded_by="test", policy=POLICY,
            categories=list(checker.lexicon.categories), origin="complaint",
        )  # fmt: skip
    keys = {
        "regulator": create_key(db, "regulator", actor="test")[1],
        "platform": create_key(db, "platform", actor="test")[1],
        "anchor": create_key(db, "anchor", "A1", actor="test")[1],
    }
    app = create_app(path, Settings(db=str(path)))
    with (
        running(app) as base,
        httpx.Client(base_url=base, timeout=30, event_hooks={"response": [no_traceback]}) as client,
    ):
        room = client.post(
            "/v1/live/rooms", json={"anchor": "A2", "stream": LIVE}, headers=auth(keys["platform"])
        )
        assert room.status_code == 201, room.text
        pushed = client.post(
            f"/v1/live/rooms/{room.json()['id']}/captions",
            json={"lines": [{"t": 1.0, "text": "欢迎来到直播间"}]},
            headers=auth(keys["platform"]),
        )
        assert pushed.status_code == 200, pushed.text
        yield client, keys, db
    db.conn.close()


def _get(platform, path: str, role: str = "platform", **params) -> httpx.Response:
    client, keys, _ = platform
    return client.get(path, params=params, headers=auth(keys[role]))


# --- eligibility of accounts qinglang does not know -------------------------------------------


@pytest.mark.parametrize(
    "path, params",
    [
        ("/v1/anchors/kuaishou%3Anewshop/eligibility", {}),
        ("/v1/eligibility", {"anchor": "kuaishou:new/shop"}),
        ("/v1/anchors/NOBODY/eligibility", {}),
    ],
)
def test_an_unregistered_account_may_register_and_go_live_and_is_told_to_register(
    platform, path, params
):
    response = _get(platform, path, **params)
    assert response.status_code == 200
    answer = response.json()
    assert answer["known"] is False
    assert answer["may_register"] is True and answer["may_go_live"] is True
    assert answer["grade"] == POLICY.grade_for(POLICY.start_score).id
    assert answer["until"] is None and answer["restrictions"] == []
    assert answer["reason"].startswith("未在清朗登记")
    assert "not registered with qinglang" in answer["reason"]
    assert "register" in answer["reason"].split(" / ")[1]


def test_a_registered_anchor_is_known_and_a_blacklisted_one_still_may_not_register(platform):
    ok = _get(platform, "/v1/anchors/douyin%3Awang/eligibility").json()
    assert ok["known"] is True and ok["anchor_id"] == "A1"
    assert ok["may_go_live"] is True and ok["reason"] == ""
    listed = _get(platform, "/v1/anchors/kuaishou%3Azhao/eligibility").json()
    assert listed["known"] is True and listed["anchor_id"] == "A3"
    assert listed["may_register"] is False and listed["may_go_live"] is False
    assert listed["until"] and "黑名单" in listed["reason"]


def test_a_policy_can_require_registration_before_going_live(platform, tmp_path):
    _, _, db = platform
    strict = tmp_path / "credit.yaml"
    text = default_policy_path().read_text(encoding="utf-8")
    assert "unregistered:\n  may_go_live: true" in text
    strict.write_text(text.replace("may_go_live: true", "may_go_live: false"), encoding="utf-8")
    answer = eligibility(db, "kuaishou:newshop", load_policy(strict))
    assert not answer.known and answer.may_register and not answer.may_go_live
    assert (
        "登记后方可开播" in answer.reason and "once the regulator has registered" in answer.reason
    )
    registered = eligibility(db, "A1", load_policy(strict))
    assert registered.known and registered.may_go_live


def test_a_policy_without_the_unregistered_rule_is_refused(tmp_path):
    text = default_policy_path().read_text(encoding="utf-8")
    broken = tmp_path / "credit.yaml"
    broken.write_text(text.replace("unregistered:\n  may_go_live: true\n", ""), encoding="utf-8")
    with pytest.raises(PolicyError, match="unregistered"):
        load_policy(broken)


def test_the_cli_answers_for_an_unregistered_account_too(platform):
    _, _, db = platform
    result = subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", "eligibility", "kuaishou:newshop", "--json",
         "--db", db.conn.execute("PRAGMA database_list").fetchone()[2]],
        capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["known"] is False and answer["may_go_live"] is True
    assert answer["reason"].startswith("未在清朗登记")


def test_an_anchor_key_still_cannot_probe_other_accounts(platform):
    response = _get(platform, "/v1/anchors/kuaishou%3Anewshop/eligibility", role="anchor")
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


@pytest.mark.parametrize(
    "anchor, named",
    [("douyin:", "a platform account is PLATFORM:ACCOUNT"), ("  ", "no anchor id")],
)
def test_a_malformed_or_blank_account_is_a_400_naming_the_problem(platform, anchor, named):
    response = _get(platform, "/v1/eligibility", anchor=anchor)
    assert response.status_code == 400
    assert named in response.json()["message"]


def test_the_openapi_schema_documents_unregistered_accounts(platform):
    client, _, _ = platform
    schema = client.get("/openapi.json").json()
    model = schema["components"]["schemas"]["Eligibility"]
    assert "known" in model["required"]
    assert "no record" in model["properties"]["known"]["description"]
    operation = schema["paths"]["/v1/anchors/{anchor_id}/eligibility"]["get"]
    assert "404" not in operation["responses"]
    assert "known: false" in operation["description"]


# --- GET /v1/streams ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, [LIVE, "S3", "S1", "S2", "S4"]),
        ({"anchor": "A1"}, ["S1", "S2"]),
        ({"anchor": "douyin:wang"}, ["S1", "S2"]),
        ({"workshop": "W2"}, ["S4"]),
        ({"status": "live"}, [LIVE]),
        ({"status": "ended"}, ["S3", "S1", "S2", "S4"]),
        ({"date_from": "2025-06-02", "date_to": "2025-06-02"}, ["S1"]),  # Beijing day
        ({"date_from": "2025-06-01", "date_to": "2025-06-01"}, ["S2"]),
        ({"date_to": "2025-06-01"}, ["S2", "S4"]),
        ({"date_from": "2025-06-02"}, [LIVE, "S3", "S1"]),
        ({"has_flags": "true"}, ["S3", "S1", "S4"]),
        ({"has_flags": "false"}, [LIVE, "S2"]),
        ({"flag_status": "open"}, ["S1", "S4"]),
        ({"flag_status": "dismissed"}, ["S3"]),
        ({"has_media": "true"}, ["S1"]),
        ({"anchor": "A1", "has_flags": "true", "date_to": "2025-06-30"}, ["S1"]),
    ],
)
def test_each_stream_filter_narrows_the_list(platform, params, expected):
    for role in ("platform", "regulator"):
        response = _get(platform, "/v1/streams", role=role, **params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert [s["id"] for s in body["items"]] == expected
        assert body["total"] == len(expected)


def test_a_listed_stream_says_who_what_and_how_it_went(platform):
    items = {s["id"]: s for s in _get(platform, "/v1/streams").json()["items"]}
    s1, live = items["S1"], items[LIVE]
    assert (s1["anchor_id"], s1["anchor_name"], s1["workshop"]) == ("A1", "王阿姨", "梁弄杨梅工坊")
    assert s1["started_at"] == STREAMS["S1"][2] and s1["has_media"] and not s1["live"]
    assert s1["flags"] == {"open": 1, "confirmed": 0, "dismissed": 0}
    assert live["live"] and not live["has_media"] and live["anchor_id"] == "A2"
    assert live["segments"] == 1  # the caption line pushed to its room


def test_stream_pages_split_the_list_and_keep_the_total(platform):
    everything = [s["id"] for s in _get(platform, "/v1/streams").json()["items"]]
    pages = [_get(platform, "/v1/streams", limit=2, offset=n).json() for n in (0, 2, 4)]
    assert [s["id"] for page in pages for s in page["items"]] == everything
    assert [len(page["items"]) for page in pages] == [2, 2, 1]
    assert {page["total"] for page in pages} == {5}


def test_an_anchor_key_lists_only_its_own_streams(platform):
    own = _get(platform, "/v1/streams", role="anchor").json()
    assert [s["id"] for s in own["items"]] == ["S1", "S2"] and own["total"] == 2
    other = _get(platform, "/v1/streams", role="anchor", anchor="A2")
    assert other.status_code == 403 and other.json()["error"] == "forbidden"


@pytest.mark.parametrize(
    "params, status, named",
    [
        ({"date_from": "2025-06-03", "date_to": "2025-06-01"}, 400, "date_from"),
        ({"date_from": "2025-13-01"}, 422, "date_from"),
        ({"date_from": "0001-01-01"}, 422, "date_from"),  # before any UTC time in Beijing
        ({"date_to": "9999-12-31"}, 422, "date_to"),
        ({"status": "paused"}, 422, "status"),
        ({"flag_status": "maybe"}, 422, "flag_status"),
        ({"has_flags": "perhaps"}, 422, "has_flags"),
        ({"limit": "0"}, 422, "limit"),
        ({"anchor": "NOBODY"}, 404, "NOBODY"),
    ],
)
def test_bad_stream_filters_are_refused_naming_them(platform, params, status, named):
    response = _get(platform, "/v1/streams", **params)
    assert response.status_code == status
    assert named in response.json()["message"]


def test_listing_streams_needs_a_key(platform):
    client, _, _ = platform
    assert client.get("/v1/streams").status_code == 401

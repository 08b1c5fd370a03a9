"""The HTTP API against a real uvicorn server on a loopback port: health, checks, keys and roles,
credit and eligibility, limits, and JSON errors that never carry a traceback; and the `keys` and
`serve` commands."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from api_server import auth, free_port, no_traceback, running, wait_for_service

from api import create_app
from monitor.credit.policy import load_policy
from monitor.errors import InputError
from monitor.review.flags import decide_flag
from monitor.settings import Settings
from monitor.store.api_keys import Principal, authenticate, create_key, list_keys, revoke_key
from monitor.store.db import open_db, schema_version
from monitor.store.flag_store import record_utterance
from monitor.store.registry import add_anchor, add_workshop

MIGRATIONS = Path(__file__).parent.parent / "monitor" / "store" / "migrations"
MAX_BODY = 4096
MAX_TEXT = 300
FLAGGED = "全网最低价，加我微信"
CLEAN = "今天给大家介绍梁弄的杨梅，酸甜可口。"


def _store(path):
    db = open_db(path)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1", ["douyin:wang"])
    add_anchor(db, "A2", "李师傅", "W1")
    return db


@pytest.fixture(scope="module")
def server(tmp_path_factory, checker):
    path = tmp_path_factory.mktemp("api") / "q.db"
    db = _store(path)
    keys = {
        role: create_key(db, role, anchor, actor="test")[1]
        for role, anchor in [("regulator", None), ("platform", None), ("anchor", "A1")]
    }
    revoked_id, keys["revoked"] = create_key(db, "platform", actor="test")
    revoke_key(db, revoked_id, actor="test")
    settings = Settings(db=str(path), max_text_bytes=MAX_TEXT, api_max_body_bytes=MAX_BODY)
    app = create_app(path, settings)

    @app.get("/test-only/crash", include_in_schema=False)
    def crash() -> None:
        raise RuntimeError("secret internal detail")

    @app.post("/test-only/decide-twice", include_in_schema=False)
    def decide_twice() -> None:
        store = open_db(path, migrate=False)
        flag = record_utterance(store, checker.check(FLAGGED).hits[:1], FLAGGED, anchor_id="A1")
        decide = {
            "confirm": False,
            "reviewer": "r",
            "policy": load_policy(),
            "categories": list(checker.lexicon.categories),
        }
        decide_flag(store, flag, reason="误报", **decide)
        decide_flag(store, flag, reason="误报", **decide)  # as if a second regulator raced

    with (
        running(app) as base,
        httpx.Client(base_url=base, timeout=30, event_hooks={"response": [no_traceback]}) as c,
    ):
        assert c.get("/healthz").status_code == 200
        yield c, keys, db


def test_health_answers_without_a_key(server):
    client, _, db = server
    response = client.get("/healthz")
    # the server migrated its database to the newest shipped migration, NNN_name.sql
    shipped = max(int(p.name.split("_")[0]) for p in MIGRATIONS.glob("[0-9]*.sql"))
    assert response.json() == {"status": "ok", "schema_version": shipped}
    assert schema_version(db) == shipped


def test_check_returns_the_report_of_the_library(server, checker):
    client, keys, _ = server
    response = client.post("/v1/check", json={"text": FLAGGED}, headers=auth(keys["platform"]))
    assert response.status_code == 200
    report = response.json()
    assert report == checker.check(FLAGGED).to_dict()
    assert report["verdict"] == "block"
    assert {h["category"] for h in report["hits"]} >= {"price_fraud", "off_platform_trading"}
    hit = report["hits"][0]
    assert FLAGGED[hit["start"] : hit["end"]] == hit["text"] and hit["basis"] and hit["suggestion"]


def test_a_clean_sentence_passes_and_anchor_keys_may_self_check(server):
    client, keys, _ = server
    response = client.post(
        "/v1/check", json={"text": CLEAN, "profile": "food"}, headers=auth(keys["anchor"])
    )
    assert response.status_code == 200
    assert response.json()["verdict"] == "pass" and response.json()["hits"] == []


@pytest.mark.parametrize(
    "field, value, known",
    [
        ("profile", "nope", {"default", "food", "cosmetics"}),
        ("product_class", "x", {"food", "tea"}),
    ],
)
def test_an_unknown_profile_or_product_class_is_a_422_naming_the_field(server, field, value, known):
    """Issue 12: an unknown profile was an English 400, while the README promises a 422 naming
    each invalid field."""
    client, keys, _ = server
    response = client.post(
        "/v1/check", json={"text": CLEAN, field: value}, headers=auth(keys["regulator"])
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["message"].startswith("未知") and value in body["message"]
    (problem,) = body["detail"]
    assert problem["field"] == field and known <= set(problem["known"])
    assert value not in problem["known"]


@pytest.mark.parametrize("key", [None, "ql_not-a-key", "revoked"])
def test_a_missing_unknown_or_revoked_key_is_a_401(server, key):
    client, keys, _ = server
    headers = {} if key is None else auth(keys.get(key, key))
    for response in (
        client.post("/v1/check", json={"text": CLEAN}, headers=headers),
        client.get("/v1/anchors/A1/credit", headers=headers),
    ):
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


def test_an_anchor_key_reads_its_own_credit(server):
    client, keys, _ = server
    response = client.get("/v1/anchors/A1/credit", headers=auth(keys["anchor"]))
    assert response.status_code == 200
    credit = response.json()
    assert credit["anchor_id"] == "A1" and credit["may_go_live"] is True
    assert {"score", "grade", "colour", "history", "restrictions"} <= set(credit)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/anchors/A2/credit",
        "/v1/anchors/A2/eligibility",
        "/v1/anchors/NOBODY/credit",  # no probing which anchors exist
    ],
)
def test_an_anchor_key_may_not_read_another_anchor(server, path):
    client, keys, _ = server
    response = client.get(path, headers=auth(keys["anchor"]))
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


def test_a_platform_reads_any_anchors_eligibility(server):
    client, keys, _ = server
    response = client.get("/v1/anchors/A2/eligibility", headers=auth(keys["platform"]))
    assert response.status_code == 200
    assert response.json()["anchor_id"] == "A2"
    assert response.json()["may_register"] is True and response.json()["may_go_live"] is True


@pytest.mark.parametrize("role", ["platform", "anchor"])
def test_a_platform_account_names_the_anchor(server, role):
    client, keys, _ = server
    for path in ("/v1/anchors/douyin%3Awang/eligibility", "/v1/anchors/douyin:wang/credit"):
        response = client.get(path, headers=auth(keys[role]))
        assert response.status_code == 200 and response.json()["anchor_id"] == "A1"


def test_an_unknown_anchor_has_no_credit(server):
    client, keys, _ = server  # its eligibility is an answer: tests/test_api_platform.py
    for name, path in [
        ("NOBODY", "/v1/anchors/NOBODY/credit"),
        ("kuaishou:nobody", "/v1/anchors/kuaishou%3Anobody/credit"),
    ]:
        response = client.get(path, headers=auth(keys["regulator"]))
        assert response.status_code == 404
        assert response.json()["error"] == "anchor_not_found"
        assert name in response.json()["message"]


def test_credit_at_another_time(server):
    client, keys, _ = server
    good = client.get(
        "/v1/anchors/A1/credit", params={"at": "2030-01-01"}, headers=auth(keys["regulator"])
    )
    assert good.status_code == 200 and good.json()["anchor_id"] == "A1"
    bad = client.get(
        "/v1/anchors/A1/credit", params={"at": "next tuesday"}, headers=auth(keys["regulator"])
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "query.at"


def test_a_body_over_the_limit_is_refused_before_it_is_read(server):
    client, keys, _ = server
    body = json.dumps({"text": "好" * MAX_BODY}).encode("utf-8")
    response = client.post(
        "/v1/check",
        content=body,
        headers={**auth(keys["platform"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"
    assert "4 KiB" in response.json()["message"]  # MAX_BODY, in units people read
    assert response.json()["detail"] == {"limit_bytes": MAX_BODY}


def test_a_streamed_body_over_the_limit_is_refused(server):
    client, keys, _ = server

    def chunks():
        yield b'{"text": "'
        for _ in range(MAX_BODY // 512 + 2):
            yield b"a" * 512
        yield b'"}'

    response = client.post(
        "/v1/check",
        content=chunks(),
        headers={**auth(keys["platform"]), "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413 and response.json()["detail"] == {"limit_bytes": MAX_BODY}


def test_a_text_over_the_limit_is_a_413(server):
    client, keys, _ = server
    text = "杨梅" * (MAX_TEXT // 6 + 1)  # 3 bytes a character in UTF-8
    response = client.post("/v1/check", json={"text": text}, headers=auth(keys["anchor"]))
    assert response.status_code == 413
    assert response.json()["error"] == "text_too_large" and str(MAX_TEXT) in response.text


def test_invalid_json_is_a_422_naming_the_problem(server):
    client, keys, _ = server
    response = client.post(
        "/v1/check",
        content='{"text": "全网'.encode(),
        headers={**auth(keys["platform"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 422 and response.json()["error"] == "invalid_request"
    assert "JSON" in response.json()["message"]


def test_a_missing_or_unknown_field_is_a_422_naming_it(server):
    client, keys, _ = server
    missing = client.post("/v1/check", json={"txt": CLEAN}, headers=auth(keys["platform"]))
    assert missing.status_code == 422
    fields = {p["field"] for p in missing.json()["detail"]}
    assert fields == {"body.text", "body.txt"}
    assert CLEAN not in missing.text  # the input is not echoed back


def test_a_decision_that_lost_a_race_is_a_409_not_a_400(server):
    client, _, _ = server
    response = client.post("/test-only/decide-twice")
    assert response.status_code == 409 and response.json()["error"] == "already_decided"
    assert "already dismissed" in response.json()["message"]
    assert response.json()["detail"] == {"status": "dismissed"}  # as when the route is asked twice


def test_an_unexpected_error_is_a_500_without_internals(server):
    client, _, _ = server
    response = client.get("/test-only/crash")
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "message": response.json()["message"]}
    assert "secret internal detail" not in response.text


def test_unknown_paths_and_methods_answer_json(server):
    client, _, _ = server
    assert client.get("/v1/nothing").json()["error"] == "not_found"
    assert client.get("/v1/check").json()["error"] == "method_not_allowed"


def test_the_openapi_schema_documents_the_stable_paths(server):
    client, _, _ = server
    schema = client.get("/openapi.json").json()
    assert {
        "/healthz",
        "/v1/check",
        "/v1/anchors/{anchor_id}/credit",
        "/v1/anchors/{anchor_id}/eligibility",
    } <= set(schema["paths"])
    check = schema["paths"]["/v1/check"]["post"]
    assert check["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CheckReport"
    )
    assert schema["components"]["securitySchemes"]["api_key"]["scheme"] == "bearer"


# --- the library and the CLI ---------------------------------------------------------------


def test_keys_are_bound_to_an_existing_anchor_only_for_the_anchor_role(tmp_path):
    db = _store(tmp_path / "q.db")
    with pytest.raises(InputError, match="no anchor"):
        create_key(db, "anchor", "NOBODY")
    with pytest.raises(InputError, match="needs an anchor"):
        create_key(db, "anchor")
    with pytest.raises(InputError, match="only an anchor key"):
        create_key(db, "platform", "A1")
    key_id, key = create_key(db, "anchor", "douyin:wang")
    assert authenticate(db, key) == Principal(key_id, "anchor", "A1")
    [listed] = list_keys(db)
    assert listed["role"] == "anchor" and listed["prefix"] == key[:8]
    assert "key_hash" not in listed and key not in listed.values()


def cli(db, *args):
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", *args, "--db", str(db)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "QINGLANG_ACTOR": "reg-1"},
    )  # fmt: skip


def test_keys_create_prints_the_key_once_and_stores_only_its_hash(tmp_path):
    path = tmp_path / "q.db"
    db = _store(path)
    created = cli(path, "keys", "create", "--role", "anchor", "--anchor", "A1", "--label", "手机")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert created.stdout == key + "\n" and key.startswith("ql_") and len(key) > 40
    assert "只显示" in created.stderr and "shown only this once" in created.stderr
    row = db.execute("SELECT * FROM api_keys").fetchone()
    assert hashlib.sha256(key.encode()).hexdigest() in row and key not in row
    dump = "\n".join(db.conn.iterdump())
    assert key not in dump  # not in the audit log either
    assert authenticate(db, key) == Principal(1, "anchor", "A1", "手机")
    listed = cli(path, "keys", "list", "--json")
    assert json.loads(listed.stdout)[0]["label"] == "手机" and key not in listed.stdout
    assert "key_hash" not in listed.stdout

    revoked = cli(path, "keys", "revoke", "1")
    assert revoked.returncode == 0 and authenticate(db, key) is None
    again = cli(path, "keys", "revoke", "1")
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE subject = 'key:1'")]
    assert actions == ["key.create", "key.revoke"]


def test_keys_create_refuses_an_anchor_for_other_roles(tmp_path):
    path = tmp_path / "q.db"
    _store(path)
    result = cli(path, "keys", "create", "--role", "platform", "--anchor", "A1")
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_keys_create_makes_a_worker_key(tmp_path):
    path = tmp_path / "q.db"
    db = _store(path)
    created = cli(path, "keys", "create", "--role", "worker", "--label", "gpu-1")
    assert created.returncode == 0, created.stderr
    assert authenticate(db, created.stdout.strip()) == Principal(1, "worker", None, "gpu-1")


def test_serve_runs_the_api_over_the_given_database(tmp_path):
    path = tmp_path / "served.db"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli.main", "serve", "--db", str(path), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        response = wait_for_service(f"http://127.0.0.1:{port}", process)
        assert response.json()["status"] == "ok"
        assert schema_version(open_db(path, migrate=False)) == response.json()["schema_version"]
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_unknown_paths_get_json_under_the_api_and_a_chinese_page_under_the_ui(server):
    client, _, _ = server
    api = client.get("/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["error"] == "not_found"
    page = httpx.get(client.base_url.join("/ui/no-such-page"))
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "没有这个页面" in page.text and "Traceback" not in page.text

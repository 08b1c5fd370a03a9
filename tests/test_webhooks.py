"""Webhooks for platforms against a real uvicorn server and a real local receiver: subscriptions
and roles, signed deliveries, retries with backoff, failures, eligibility events from recorded
decisions, the platform filter, restarts, and the signature check receivers copy."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import yaml
from api_server import auth, no_traceback, running, wait_until

from api import create_app
from monitor.credit.policy import known_categories, load_policy
from monitor.errors import InputError
from monitor.notify.delivery import (
    DeliveryWorker,
    WebhookPolicyError,
    load_webhook_policy,
    parse_webhook_policy,
)
from monitor.notify.outbox import enqueue_event
from monitor.notify.signatures import sign, verify_signature
from monitor.notify.webhooks import create_subscription
from monitor.review.flags import record_violation
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_workshop

FAST = {
    "version": "test",
    "timeout_seconds": 1.0,
    "max_attempts": 4,
    "retry_delays_seconds": [0.2],
    "jitter": 0.0,
    "concurrency": 4,
    "poll_seconds": 0.5,
    "max_subscriptions_per_key": 50,
}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # the slow test's client hangs up before the answer: expected


class Receiver:
    """A platform's endpoint: records every request; answers each path from a script of
    statuses (then 200), optionally after a delay."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.scripts: dict[str, list[int]] = {}
        self.delays: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": raw}
                    )
                    script = receiver.scripts.get(self.path) or []
                    status = script.pop(0) if script else 200
                time.sleep(receiver.delays.get(self.path, 0))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def at(self, path: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path]


def _store(path) -> None:
    db = open_db(path)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1", ["douyin:wang"])
    add_anchor(db, "A2", "李师傅", "W1", ["kuaishou:li"])
    add_anchor(db, "A3", "陈大姐", "W1", ["douyin:chen"])
    db.conn.close()


def _app(path):
    settings = Settings(
        db=str(path),
        classifier=False,
        webhook_allow="127.0.0.1",
        credit_recompute_hours=0,
        reload_watch=False,
    )
    app = create_app(path, settings)
    app.state.webhook_policy = parse_webhook_policy(FAST)
    return app


@pytest.fixture(scope="module")
def receiver():
    found = Receiver()
    yield found
    found.server.shutdown()


@pytest.fixture(scope="module")
def service(tmp_path_factory, receiver):
    path = tmp_path_factory.mktemp("webhooks") / "q.db"
    _store(path)
    db = open_db(path)
    keys = {
        name: create_key(db, role, anchor, actor="test")[1]
        for name, role, anchor in [
            ("regulator", "regulator", None),
            ("platform", "platform", None),
            ("other_platform", "platform", None),
            ("anchor", "anchor", "A1"),
        ]
    }
    db.conn.close()
    with (
        running(_app(path)) as base,
        httpx.Client(base_url=base, timeout=30, event_hooks={"response": [no_traceback]}) as client,
    ):
        yield {"client": client, "keys": keys, "path": path}


def _subscribe(service, receiver, route: str, key: str = "platform", **extra) -> dict:
    body = {"url": receiver.base + route, "events": ["anchor.eligibility_changed"], **extra}
    answer = service["client"].post("/v1/webhooks", json=body, headers=auth(service["keys"][key]))
    assert answer.status_code == 201, answer.text
    return answer.json()


def _deliveries(service, webhook_id: int, key: str = "platform") -> list[dict]:
    answer = service["client"].get(
        f"/v1/webhooks/{webhook_id}/deliveries", headers=auth(service["keys"][key])
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _settled(service, webhook_id: int, count: int = 1) -> list[dict]:
    """The webhook's deliveries once `count` of them are delivered or failed."""

    def done():
        found = _deliveries(service, webhook_id)
        return found if sum(d["status"] != "pending" for d in found) >= count else None

    return wait_until(done)


def test_anchor_key_may_not_use_webhooks(service, receiver):
    headers = auth(service["keys"]["anchor"])
    body = {"url": receiver.base + "/anchor", "events": ["live.block"]}
    assert service["client"].post("/v1/webhooks", json=body, headers=headers).status_code == 403
    assert service["client"].get("/v1/webhooks", headers=headers).status_code == 403


def test_private_address_is_refused_unless_allowed(service):
    answer = service["client"].post(
        "/v1/webhooks",
        json={"url": "http://192.168.1.10/hook", "events": ["live.block"]},
        headers=auth(service["keys"]["platform"]),
    )
    assert answer.status_code == 400
    assert "192.168.1.10" in answer.json()["message"]
    assert "QINGLANG_WEBHOOK_ALLOW" in answer.json()["message"]


@pytest.mark.parametrize(
    "url, named",
    [
        ("file:///etc/passwd", "http, https"),
        ("ftp://127.0.0.1/x", "http, https"),
        ("http://[::1/x", "Invalid IPv6 URL"),
        ("http://127.0.0.1:99999/x", "Port out of range"),
        ("http://127.0.0.1/a b", "spaces or control characters"),
        ("http:///x", "no host"),
    ],
)
def test_a_url_that_is_not_http_or_malformed_is_refused_saying_why(service, url, named):
    answer = service["client"].post(
        "/v1/webhooks",
        json={"url": url, "events": ["live.block"]},
        headers=auth(service["keys"]["platform"]),
    )
    assert answer.status_code == 400
    assert named in answer.json()["message"]


def test_a_key_holds_a_limited_number_of_webhooks(tmp_path, receiver):
    path = tmp_path / "q.db"
    _store(path)
    db = open_db(path)
    url = receiver.base + "/limit"
    create_subscription(
        db, url, ["live.block"], owner_key_id=None, allow="127.0.0.1", max_per_owner=1
    )
    with pytest.raises(InputError, match="max_subscriptions_per_key: 1"):
        create_subscription(
            db, url, ["live.block"], owner_key_id=None, allow="127.0.0.1", max_per_owner=1
        )


def test_unknown_event_type_is_refused_naming_the_known_ones(service, receiver):
    answer = service["client"].post(
        "/v1/webhooks",
        json={"url": receiver.base + "/x", "events": ["anchor.deleted"]},
        headers=auth(service["keys"]["platform"]),
    )
    assert answer.status_code == 422
    assert "anchor.eligibility_changed" in answer.json()["message"]
    assert "live.block" in answer.json()["message"]


def test_secret_is_shown_once_and_others_do_not_see_the_webhook(service, receiver):
    client, keys = service["client"], service["keys"]
    created = _subscribe(service, receiver, "/crud", platform="Douyin", description="主站")
    assert created["secret"].startswith("whsec_") and created["platform"] == "douyin"
    shown = client.get(f"/v1/webhooks/{created['id']}", headers=auth(keys["platform"])).json()
    assert "secret" not in shown and shown["active"] is True
    own = client.get("/v1/webhooks", headers=auth(keys["platform"])).json()
    assert created["id"] in [w["id"] for w in own] and all("secret" not in w for w in own)
    other = client.get("/v1/webhooks", headers=auth(keys["other_platform"])).json()
    assert created["id"] not in [w["id"] for w in other]
    path = f"/v1/webhooks/{created['id']}"
    assert client.get(path, headers=auth(keys["other_platform"])).status_code == 404
    assert client.delete(path, headers=auth(keys["other_platform"])).status_code == 404
    everyone = client.get("/v1/webhooks", headers=auth(keys["regulator"])).json()
    assert created["id"] in [w["id"] for w in everyone]


def test_deleted_webhook_keeps_its_history_and_takes_no_pings(service, receiver):
    client, headers = service["client"], auth(service["keys"]["platform"])
    created = _subscribe(service, receiver, "/deleted")
    assert client.post(f"/v1/webhooks/{created['id']}/ping", headers=headers).status_code == 202
    _settled(service, created["id"])
    gone = client.delete(f"/v1/webhooks/{created['id']}", headers=headers)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert gone.json()["deactivated_at"]
    again = client.post(f"/v1/webhooks/{created['id']}/ping", headers=headers)
    assert again.status_code == 409
    assert [d["status"] for d in _deliveries(service, created["id"])] == ["delivered"]


def test_ping_is_delivered_signed_with_the_raw_body_intact(service, receiver):
    created = _subscribe(service, receiver, "/ping")
    sent = time.monotonic()
    answer = service["client"].post(
        f"/v1/webhooks/{created['id']}/ping", headers=auth(service["keys"]["platform"])
    )
    assert answer.status_code == 202 and answer.json()["status"] == "pending"
    (request,) = wait_until(lambda: receiver.at("/ping"))
    latency = time.monotonic() - sent
    headers = request["headers"]
    assert verify_signature(created["secret"], headers["X-Qinglang-Signature"], request["body"])
    envelope = json.loads(request["body"])
    assert envelope == answer.json()["payload"]
    assert envelope["type"] == "ping" and envelope["data"] == {"subscription_id": created["id"]}
    assert headers["X-Qinglang-Event"] == "ping"
    assert headers["X-Qinglang-Delivery"] == str(answer.json()["id"])
    assert headers["Content-Type"] == "application/json"
    (delivery,) = _settled(service, created["id"])
    assert delivery["status"] == "delivered" and delivery["attempts"][0]["http_status"] == 200
    assert latency < 0.5, f"the worker was not woken by the ping ({latency:.2f} s)"


def test_a_failing_receiver_is_retried_until_it_answers(service, receiver):
    receiver.scripts["/flaky"] = [500, 500]
    created = _subscribe(service, receiver, "/flaky")
    service["client"].post(
        f"/v1/webhooks/{created['id']}/ping", headers=auth(service["keys"]["platform"])
    )
    (delivery,) = _settled(service, created["id"])
    assert delivery["status"] == "delivered" and delivery["attempt_count"] == 3
    assert [a["http_status"] for a in delivery["attempts"]] == [500, 500, 200]
    assert [a["error"] for a in delivery["attempts"]] == ["HTTP 500", "HTTP 500", None]
    assert len(receiver.at("/flaky")) == 3
    ids = {r["headers"]["X-Qinglang-Delivery"] for r in receiver.at("/flaky")}
    assert ids == {str(delivery["id"])}  # one delivery id on every try: receivers deduplicate


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(service, receiver):
    receiver.scripts["/moved"] = [302]
    created = _subscribe(service, receiver, "/moved")
    service["client"].post(
        f"/v1/webhooks/{created['id']}/ping", headers=auth(service["keys"]["platform"])
    )
    (delivery,) = _settled(service, created["id"])
    assert [a["http_status"] for a in delivery["attempts"]] == [302, 200]
    assert "redirect" in delivery["attempts"][0]["error"]
    assert receiver.at("/elsewhere") == []


def test_a_receiver_that_is_down_fails_after_the_last_attempt(service):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    answer = service["client"].post(
        "/v1/webhooks",
        json={"url": f"http://127.0.0.1:{port}/down", "events": ["live.block"]},
        headers=auth(service["keys"]["platform"]),
    )
    webhook = answer.json()
    service["client"].post(
        f"/v1/webhooks/{webhook['id']}/ping", headers=auth(service["keys"]["platform"])
    )
    (delivery,) = _settled(service, webhook["id"])
    assert delivery["status"] == "failed" and delivery["attempt_count"] == FAST["max_attempts"]
    assert all(a["http_status"] is None and a["error"] for a in delivery["attempts"])
    assert delivery["next_attempt_at"] is None and delivery["last_error"]


def test_a_slow_receiver_does_not_hold_up_the_others(service, receiver):
    receiver.delays["/slow"] = 3.0
    receiver.scripts["/slow"] = [200]
    slow = _subscribe(service, receiver, "/slow")
    fast = _subscribe(service, receiver, "/fast")
    headers = auth(service["keys"]["platform"])
    started = time.monotonic()
    service["client"].post(f"/v1/webhooks/{slow['id']}/ping", headers=headers)
    service["client"].post(f"/v1/webhooks/{fast['id']}/ping", headers=headers)
    wait_until(lambda: receiver.at("/fast"))
    assert time.monotonic() - started < 1.0
    first = wait_until(lambda: _deliveries(service, slow["id"])[0]["attempts"])
    assert first[0]["error"].startswith("timeout")


def test_a_change_of_eligibility_is_sent_once_with_before_and_after(service, receiver):
    created = _subscribe(service, receiver, "/eligibility")
    db = open_db(service["path"], migrate=False)
    policy = load_policy()
    minor = dict(evidence="巡查记录", recorded_by="regulator", policy=policy)
    record_violation(
        db,
        anchor="A3",
        category="absolute_terms",
        severity="low",
        **minor,
        categories=known_categories(),
    )  # 3 × 0.75 points: still green, nothing a platform must know
    record_violation(
        db,
        anchor="A3",
        category="medical_claims",
        severity="medium",
        **minor,
        categories=known_categories(),
    )  # 6 × 1.5 points more: 88.75, green → yellow
    db.conn.close()
    (delivery,) = _settled(service, created["id"])
    assert delivery["event"] == "anchor.eligibility_changed" and delivery["anchor_id"] == "A3"
    data = delivery["payload"]["data"]
    assert data["before"]["grade"] == "green" and data["before"]["restrictions"] == []
    assert data["after"]["grade"] == "yellow" and "script_precheck" in data["after"]["restrictions"]
    assert data["after"]["may_register"] and not data["after"]["blacklisted"]
    assert data["cause"].startswith("violation ") and data["cause"].endswith("(inspection)")
    assert data["reason"].startswith("违规 #") and "医疗功效（非药品），一般" in data["reason"]
    (request,) = receiver.at("/eligibility")
    assert json.loads(request["body"])["data"] == data


def test_platform_filter_sends_only_anchors_on_that_platform(service, receiver):
    created = _subscribe(service, receiver, "/douyin", platform="douyin", events=["live.block"])
    block = {"room_id": 7, "verdict": "block", "hits": [{"category": "price_fraud"}]}
    db = open_db(service["path"], migrate=False)
    kuaishou = enqueue_event(db, "live.block", "A2", {**block, "anchor_id": "A2"})
    douyin = enqueue_event(db, "live.block", "A1", {**block, "anchor_id": "A1"})
    db.conn.close()
    (delivery,) = _settled(service, created["id"])
    assert delivery["id"] in douyin and delivery["id"] not in kuaishou
    assert delivery["anchor_id"] == "A1"
    assert delivery["payload"]["data"]["hits"] == block["hits"]


def test_an_event_from_a_background_thread_commits_itself(service, receiver):
    created = _subscribe(service, receiver, "/thread", events=["live.block"])
    found: list[list[int]] = []

    def room_callback() -> None:
        db = open_db(service["path"], migrate=False)
        found.append(enqueue_event(db, "live.block", "A2", {"room_id": 9, "verdict": "block"}))
        assert not db.conn.in_transaction
        db.conn.close()

    thread = threading.Thread(target=room_callback)
    thread.start()
    thread.join()
    (delivery,) = _settled(service, created["id"])
    assert delivery["id"] in found[0] and delivery["status"] == "delivered"


def test_deliveries_left_by_a_stopped_process_are_sent_by_the_next(tmp_path, receiver):
    path = tmp_path / "q.db"
    _store(path)
    db = open_db(path)
    key = create_key(db, "platform", actor="test")[1]
    receiver.scripts["/restart"] = [503]
    first = _app(path)
    first.state.webhook_policy = parse_webhook_policy({**FAST, "retry_delays_seconds": [2.0]})
    with running(first) as base, httpx.Client(base_url=base, timeout=30) as client:
        body = {"url": receiver.base + "/restart", "events": ["live.block"]}
        webhook = client.post("/v1/webhooks", json=body, headers=auth(key)).json()
        (pending,) = enqueue_event(db, "live.block", "A1", {"room_id": 1})
        wait_until(lambda: receiver.at("/restart"))
    (sending,) = enqueue_event(db, "live.block", "A1", {"room_id": 2})
    # As a killed process leaves it: claimed ('sending'), its lease run out.
    db.execute(
        "UPDATE webhook_deliveries SET status = 'sending', "
        "next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE id = ?",
        [sending],
    )
    db.conn.commit()
    statuses = {
        row["id"]: (row["status"], row["attempts"])
        for row in db.query("SELECT id, status, attempts FROM webhook_deliveries")
    }
    assert statuses == {pending: ("pending", 1), sending: ("sending", 0)}
    with running(_app(path)) as base, httpx.Client(base_url=base, timeout=30) as client:

        def delivered():
            found = client.get(f"/v1/webhooks/{webhook['id']}/deliveries", headers=auth(key))
            return all(d["status"] == "delivered" for d in found.json())

        wait_until(delivered)
    db.conn.close()
    assert len(receiver.at("/restart")) == 3


def test_signature_check_rejects_a_tampered_body_an_old_time_and_another_secret():
    body = json.dumps({"id": "evt_1", "type": "ping"}).encode()
    now = int(time.time())
    header = sign("whsec_test", body, now)
    assert verify_signature("whsec_test", header, body)
    assert not verify_signature("whsec_test", header, body.replace(b"ping", b"pong"))
    assert not verify_signature("whsec_other", header, body)
    assert not verify_signature("whsec_test", sign("whsec_test", body, now - 600), body)
    assert verify_signature("whsec_test", sign("whsec_test", body, now - 600), body, now=now - 590)
    assert not verify_signature("whsec_test", "v1=abc", body)
    assert not verify_signature("whsec_test", "garbage", body)


def test_shipped_delivery_policy_loads_and_a_wrong_one_names_each_problem(tmp_path):
    shipped = load_webhook_policy()
    assert shipped.max_attempts >= 1 and shipped.retry_delay(1) > 0
    wrong = tmp_path / "webhooks.yaml"
    wrong.write_text("version: x\ntimeout_seconds: 0\nmax_attempts: two\nretries: []\n")
    with pytest.raises(WebhookPolicyError) as failure:
        load_webhook_policy(wrong)
    problems = " ".join(failure.value.problems)
    for expected in ("missing key 'jitter'", "unknown key 'retries'", "'max_attempts' must be"):
        assert expected in problems


def test_a_webhook_policy_problem_names_file_and_field_in_chinese_then_english(tmp_path):
    wrong = tmp_path / "webhooks.yaml"
    wrong.write_text(yaml.safe_dump({**FAST, "jitter": 1.5}), encoding="utf-8")
    with pytest.raises(WebhookPolicyError) as failure:
        load_webhook_policy(wrong)
    assert failure.value.problems == [
        f"{wrong}: jitter: 须小于 1 / 'jitter' must be below 1, not 1.5"
    ]


def test_an_invalid_platform_name_is_refused(service, receiver):
    answer = service["client"].post(
        "/v1/webhooks",
        json={"url": receiver.base + "/p", "events": ["live.block"], "platform": "抖音 app"},
        headers=auth(service["keys"]["platform"]),
    )
    assert answer.status_code == 400 and "platform" in answer.json()["message"]


def test_a_block_verdict_in_a_live_room_reaches_the_platform_signed(service, receiver):
    """The wiring of the service: live room → flags and `live.block` event in one transaction →
    signed delivery to the subscribed platform."""
    client, headers = service["client"], auth(service["keys"]["platform"])
    created = _subscribe(service, receiver, "/live", events=["live.block"])
    room = client.post(
        "/v1/live/rooms", json={"anchor": "A1", "stream": "wh-live"}, headers=headers
    )
    assert room.status_code == 201, room.text
    lines = [{"t": 30.0, "d": 4.0, "text": "这是全网最低价，加我微信私下转账"}]
    pushed = client.post(
        f"/v1/live/rooms/{room.json()['id']}/captions", json={"lines": lines}, headers=headers
    )
    assert pushed.status_code == 200 and pushed.json()["results"][0]["verdict"] == "block"
    (request,) = wait_until(lambda: receiver.at("/live"))
    assert verify_signature(
        created["secret"], request["headers"]["X-Qinglang-Signature"], request["body"]
    )
    envelope = json.loads(request["body"])
    assert envelope["type"] == "live.block" and envelope["anchor_id"] == "A1"
    data = envelope["data"]
    assert data["room_id"] == room.json()["id"] and data["stream_id"] == "wh-live"
    assert {hit["category"] for hit in data["hits"]} >= {"price_fraud", "off_platform_trading"}
    assert all(30.0 <= hit["time_start"] <= 34.0 for hit in data["hits"])
    client.post(f"/v1/live/rooms/{room.json()['id']}/stop", headers=headers)


REBOUND = "hooks.platform.test"  # a name only the test's resolver knows


def _rebinding_case(tmp_path, receiver, route: str, allow: str):
    """A store with one subscription to http://REBOUND:<receiver port><route> (as it would be
    once its name resolves elsewhere than when it was created) and one event to deliver; a
    worker whose resolver answers 127.0.0.1 for that name and records every question."""
    path = tmp_path / "q.db"
    _store(path)
    db = open_db(path)
    port = receiver.server.server_address[1]
    created = create_subscription(
        db, receiver.base + route, ["live.block"], owner_key_id=None, allow="127.0.0.1"
    )
    db.execute(
        "UPDATE webhook_subscriptions SET url = ? WHERE id = ?",
        [f"http://{REBOUND}:{port}{route}", created["id"]],
    )
    db.conn.commit()
    enqueue_event(db, "live.block", "A1", {"room_id": 1})
    asked: list[str] = []

    def resolve(host: str, _port: int) -> list:
        asked.append(host)
        return [ipaddress.ip_address("127.0.0.1")] if host == REBOUND else []

    worker = DeliveryWorker(path, parse_webhook_policy(FAST), allow=lambda: allow, resolve=resolve)
    return db, worker, asked


def test_a_delivery_connects_to_the_address_it_checked_not_to_a_second_lookup(tmp_path, receiver):
    port = receiver.server.server_address[1]
    db, worker, asked = _rebinding_case(tmp_path, receiver, "/pinned", f"{REBOUND}:{port}")
    worker.start()
    try:
        wait_until(lambda: receiver.at("/pinned"))
    finally:
        worker.stop()
    (request,) = receiver.at("/pinned")
    assert request["headers"]["Host"] == f"{REBOUND}:{port}"
    assert asked == [REBOUND]  # one lookup, checked, then connected to: nothing to rebind
    db.conn.close()


def test_a_receiver_name_resolving_to_a_private_address_is_refused_at_send(tmp_path, receiver):
    db, worker, asked = _rebinding_case(tmp_path, receiver, "/rebound", "")
    worker.start()
    try:
        wait_until(
            lambda: db.execute(
                "SELECT last_error FROM webhook_deliveries WHERE attempts > 0"
            ).fetchone()
        )
    finally:
        worker.stop()
    (error,) = db.execute("SELECT last_error FROM webhook_deliveries").fetchone()
    assert "地址不允许" in error and "127.0.0.0/8" in error
    assert receiver.at("/rebound") == [] and asked[0] == REBOUND
    db.conn.close()

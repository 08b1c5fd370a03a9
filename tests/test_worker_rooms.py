"""Live rooms with a broker (issue 15) against a real uvicorn server and a real redis-server: the
API node queues a room, a worker is simulated by what the protocol is (a real `leases.claim_next`
on the broker and HTTP calls with a worker key), and the API node checks and records what it
posts exactly once, stores where a successor resumes, and refuses every other caller."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from api_server import auth, no_traceback, running, wait_until
from fastapi import FastAPI
from ui_login import log_in
from websockets.sync.client import connect

from api import create_app
from monitor.broker import leases, presence, queue, room_input
from monitor.broker.connect import client_for
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_workshop

CLAIM = "我们的杨梅是全网最低价，加我微信下单"


def _store(folder):
    db = open_db(folder / "q.db")
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1")
    keys = {}
    for name, role in [("regulator", "regulator"), ("platform", "platform"),
                       ("worker", "worker"), ("worker2", "worker")]:  # fmt: skip
        keys[name] = create_key(db, role, None, actor="test")
    return db, keys


@contextmanager
def _served(folder, **settings) -> Iterator[tuple[FastAPI, httpx.Client]]:
    """An API node over the store in `folder`, served, with a client of it."""
    path = folder / "q.db"
    app = create_app(path, Settings(db=str(path), data_dir=str(folder / "files"), **settings))
    with (
        running(app) as base,
        httpx.Client(base_url=base, timeout=60, event_hooks={"response": [no_traceback]}) as http,
    ):
        yield app, http


@pytest.fixture
def node(tmp_path, redis_server):
    """An API node with a broker, its store, its keys ({name: (id, key)}) and a broker client."""
    db, keys = _store(tmp_path)
    with (
        _served(tmp_path, broker_url=redis_server.url, room_placement_seconds=600) as (_app, http),
        redis_server.client() as broker,
    ):
        yield http, keys, db, broker


def _consumer(keys, name="worker", tail="a1b2") -> str:
    return f"w{keys[name][0]}.host1.4242.{tail}"


def _as_worker(keys, name="worker", consumer=None) -> dict:
    return {**auth(keys[name][1]), "X-Qinglang-Worker": consumer or _consumer(keys, name)}


def _open_room(http, keys, **body) -> dict:
    response = http.post(
        "/v1/live/rooms", json={"anchor": "A1", **body}, headers=auth(keys["platform"][1])
    )
    assert response.status_code == 201, response.text
    return response.json()


def _claim(broker, consumer):
    return wait_until(lambda: leases.claim_next(broker, "room", consumer), 30, "no room queued")


def _result(start: float, text: str) -> dict:
    return {"segments": [{"start": start, "end": start + 4, "text": text}], "latency_s": 0.5}


def _counts(db, room_id) -> dict[str, int]:
    """The room's events, and the segments and flags of its stream, in the store."""
    stream = "(SELECT stream_id FROM live_rooms WHERE id = ?)"
    queries = {
        "events": "SELECT COUNT(*) FROM live_events WHERE room_id = ?",
        "segments": f"SELECT COUNT(*) FROM segments WHERE stream_id = {stream}",
        "flags": f"SELECT COUNT(*) FROM flags WHERE stream_id = {stream}",
    }
    return {name: db.execute(sql, [room_id]).fetchone()[0] for name, sql in queries.items()}


def test_a_room_is_queued_for_a_worker_that_posts_text_and_the_node_records_it_once(node):
    http, keys, db, broker = node
    room = _open_room(http, keys, stream="live-w1")
    assert room["state"] == "active" and room["worker"] is None
    consumer = _consumer(keys)
    item = _claim(broker, consumer)
    assert item.item_id == str(room["id"])

    fetched = http.get(f"/v1/worker/rooms/{room['id']}", headers=_as_worker(keys))
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["resume"] == {
        "sequence": None,
        "origin": None,
        "stream_s": None,
        "input_entry": None,
    }
    pushed = http.post(
        f"/v1/live/rooms/{room['id']}/captions",
        json={"lines": [{"t": 60.0, "d": 4.0, "text": CLAIM}]},
        headers=auth(keys["platform"][1]),
    )
    assert pushed.status_code == 202, pushed.text
    assert pushed.json()["queued"] == 1
    with client_for(redis_url(broker), decode=False) as raw:
        inputs = room_input.read(raw, room["id"], None)
    assert [(i.entry_id, i.type) for i in inputs] == [(pushed.json()["input_entry"], "caption")]

    post = {
        "results": [_result(60.0, CLAIM)],
        "position": {"input_entry": inputs[-1].entry_id, "stream_s": 64.0},
        "audio_s": 0.0,
        "events": [{"type": "gap", "detail": {"from_s": 10.0, "to_s": 12.5}}],
    }
    first = http.post(f"/v1/worker/rooms/{room['id']}/results", json=post, headers=_as_worker(keys))
    assert first.status_code == 200, first.text
    counts = _counts(db, room["id"])
    assert counts["flags"] >= 1 and counts["segments"] == 1
    replay = http.post(
        f"/v1/worker/rooms/{room['id']}/results", json=post, headers=_as_worker(keys)
    )
    assert replay.status_code == 200
    assert replay.json() == first.json()  # the same event, nothing new
    assert _counts(db, room["id"]) == counts

    seen = http.get(f"/v1/live/rooms/{room['id']}", headers=auth(keys["platform"][1])).json()
    assert seen["worker"] == consumer
    types = [e["type"] for e in seen["last_events"]]
    assert types == ["worker", "result", "gap"]
    result = seen["last_events"][1]
    assert (seen["segments"], seen["flags"]) == (1, len(result["hits"]))  # counted once
    assert result["verdict"] != "pass" and result["hits"] and result["segments"][0]["start"] == 60.0
    again = http.get(f"/v1/worker/rooms/{room['id']}", headers=_as_worker(keys)).json()
    assert again["resume"] == {
        "sequence": None,
        "origin": None,
        "stream_s": 64.0,
        "input_entry": inputs[-1].entry_id,
    }


def redis_url(broker) -> str:
    kwargs = broker.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}"


def test_only_the_worker_holding_a_room_may_fetch_or_post_it(node):
    http, keys, _db, broker = node
    room = _open_room(http, keys)
    path = f"/v1/worker/rooms/{room['id']}"
    # nobody holds it yet
    assert http.get(path, headers=_as_worker(keys)).json()["error"] == "not_held"
    _claim(broker, _consumer(keys))
    for headers, status, code in [
        (auth(keys["platform"][1]), 403, "forbidden"),
        (auth(keys["regulator"][1]), 403, "forbidden"),
        (auth(keys["worker"][1]), 400, "worker_header_missing"),
        # a worker key naming another key's worker
        (_as_worker(keys, "worker2", consumer=_consumer(keys, "worker")), 403, "not_your_worker"),
        # its own worker, not the one holding the room
        (_as_worker(keys, "worker", consumer=_consumer(keys, tail="ffff")), 409, "not_held"),
        (_as_worker(keys, "worker2"), 409, "not_held"),
    ]:
        for answer in (
            http.get(path, headers=headers),
            http.post(f"{path}/results", json={"results": []}, headers=headers),
            http.post(f"{path}/end", json={"state": "ended"}, headers=headers),
        ):
            assert (answer.status_code, answer.json()["error"]) == (status, code), answer.text
    assert http.get(path, headers=_as_worker(keys)).status_code == 200
    # a worker key reads no flags, rooms or credit
    for url in ("/v1/flags", "/v1/live/rooms", f"/v1/live/rooms/{room['id']}/events"):
        assert http.get(url, headers=auth(keys["worker"][1])).status_code == 403


def test_audio_pushed_over_the_websocket_is_queued_for_the_rooms_worker(node):
    http, keys, _db, broker = node
    room = _open_room(http, keys)
    url = http.base_url.copy_with(scheme="ws", path=f"/v1/live/rooms/{room['id']}/audio")
    frames = [bytes(range(256)) * 4, b"\x01\x00" * 800]
    with connect(str(url), open_timeout=10) as socket:
        socket.send(json.dumps({"token": keys["platform"][1]}))
        answers = []
        for frame in frames:
            socket.send(frame)
            answers.append(json.loads(socket.recv(timeout=30)))
        socket.send(json.dumps({"flush": True}))
        assert json.loads(socket.recv(timeout=30)) == {"type": "flushed"}
    assert [(a["type"], a["queued"]) for a in answers] == [("queued", 1), ("queued", 1)]
    with client_for(redis_url(broker), decode=False) as raw:
        inputs = room_input.read(raw, room["id"], None)
    assert [(i.entry_id, i.type, i.data) for i in inputs] == [
        (answer["input_entry"], "pcm", frame) for answer, frame in zip(answers, frames, strict=True)
    ]


def test_a_worker_may_not_post_the_services_own_events_or_unbounded_text(node):
    http, keys, _db, broker = node
    room = _open_room(http, keys)
    _claim(broker, _consumer(keys))
    path = f"/v1/worker/rooms/{room['id']}/results"
    for body in (
        {"events": [{"type": "result", "detail": {"hits": []}}]},
        {"events": [{"type": "Gap!"}]},
        {"results": [{"segments": [{"start": -1, "end": 1, "text": "x"}]}]},
        {"position": {"input_entry": "not-an-entry"}},
        {"audio_s": "NaN"},
    ):
        assert http.post(path, json=body, headers=_as_worker(keys)).status_code == 422, body


def test_stopping_a_room_marks_it_at_once_tells_its_worker_and_takes_its_last_results(node):
    http, keys, db, broker = node
    room = _open_room(http, keys)
    consumer = _consumer(keys)
    _claim(broker, consumer)
    http.get(f"/v1/worker/rooms/{room['id']}", headers=_as_worker(keys))  # a worker fetches first
    stopped = http.post(f"/v1/live/rooms/{room['id']}/stop", headers=auth(keys["platform"][1]))
    assert stopped.status_code == 200 and stopped.json()["state"] == "stopped"
    with client_for(redis_url(broker), decode=False) as raw:
        assert [i.type for i in room_input.read(raw, room["id"], None)] == ["stop"]
    pushed = http.post(
        f"/v1/live/rooms/{room['id']}/captions",
        json={"lines": [{"t": 1.0, "text": CLAIM}]},
        headers=auth(keys["platform"][1]),
    )
    assert pushed.status_code == 409
    last = http.post(
        f"/v1/worker/rooms/{room['id']}/results",
        json={"results": [_result(90.0, CLAIM)]},
        headers=_as_worker(keys),
    )
    assert last.status_code == 200 and last.json()["state"] == "stopped"
    ended = http.post(
        f"/v1/worker/rooms/{room['id']}/end", json={"state": "ended"}, headers=_as_worker(keys)
    )
    assert ended.status_code == 200 and ended.json()["state"] == "stopped"  # stays as it was
    stops = db.execute(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'room.stop' AND detail LIKE ?",
        [f'%"room_id": {room["id"]},%'],
    ).fetchone()[0]
    assert stops == 1


def test_a_worker_ends_its_room(node):
    http, keys, _db, broker = node
    room = _open_room(http, keys)
    _claim(broker, _consumer(keys))
    ended = http.post(
        f"/v1/worker/rooms/{room['id']}/end",
        json={"state": "failed", "error": "源地址 404 / source answered 404"},
        headers=_as_worker(keys),
    )
    assert ended.status_code == 200, ended.text
    assert (ended.json()["state"], ended.json()["error"]) == (
        "failed",
        "源地址 404 / source answered 404",
    )


def test_without_a_broker_the_worker_routes_do_not_exist(tmp_path):
    _db, keys = _store(tmp_path)
    with _served(tmp_path) as (_app, http):
        answer = http.get("/v1/worker/rooms/1", headers=_as_worker(keys))
        assert (answer.status_code, answer.json()["error"]) == (404, "no_broker")
        status = http.get("/v1/admin/status", headers=auth(keys["regulator"][1]))
        assert status.status_code == 200 and status.json()["broker"] is None
        room = _open_room(http, keys)  # an in-process room, as before: its results at once
        pushed = http.post(
            f"/v1/live/rooms/{room['id']}/captions",
            json={"lines": [{"t": 60.0, "text": CLAIM}]},
            headers=auth(keys["platform"][1]),
        )
        assert pushed.status_code == 200 and pushed.json()["results"][0]["hits"]


def test_the_admin_status_shows_the_broker_its_workers_and_the_rooms_waiting(node):
    http, keys, _db, broker = node
    held = _open_room(http, keys)
    consumer = _consumer(keys)
    _claim(broker, consumer)
    waiting = _open_room(http, keys)
    beat = time.time()
    presence.announce(
        broker,
        presence.WorkerPresence(
            worker=consumer, key_id=keys["worker"][0], host="gpu-1", device="cuda", max_rooms=8,
            rooms=(str(held["id"]),), rtf=0.42, heartbeat_at=beat,
        ),
        ttl_s=60,
    )  # fmt: skip
    status = http.get("/v1/admin/status", headers=auth(keys["regulator"][1]))
    assert status.status_code == 200, status.text
    found = status.json()["broker"]
    assert found["connected"] and found["url"].startswith("redis://127.0.0.1:")
    assert {"kind": "room", "waiting": 1, "held": 1} in found["queues"]
    assert found["workers"] == [
        {
            "worker": consumer, "host": "gpu-1", "device": "cuda", "max_rooms": 8,
            "rooms": [held["id"]], "jobs": [], "rtf": 0.42,
            "last_heartbeat": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(beat)),
        }
    ]  # fmt: skip
    assert [w["room_id"] for w in found["rooms_waiting"]] == [waiting["id"]]
    assert http.get("/v1/admin/status", headers=auth(keys["platform"][1])).status_code == 403


def test_new_rooms_are_refused_while_a_room_waits_too_long_for_a_worker(tmp_path, redis_server):
    _db, keys = _store(tmp_path)
    with (
        _served(tmp_path, broker_url=redis_server.url, room_placement_seconds=0.2) as (_app, http),
        redis_server.client() as broker,
    ):
        waiting = _open_room(http, keys)  # no worker takes it
        wait_until(
            lambda: queue.waiting(broker, "room", int(time.time() * 1000))[0].waited_s > 0.2,
            30,
            "the room did not wait",
        )
        answer = http.post(
            "/v1/live/rooms", json={"anchor": "A1"}, headers=auth(keys["platform"][1])
        )
        assert answer.status_code == 503
        assert answer.json()["error"] == "no_worker"
        assert int(answer.headers["Retry-After"]) > 0
        assert "转写节点" in answer.json()["message"] and "worker" in answer.json()["message"]
        assert answer.json()["detail"]["waited_s"] >= 0.2
        # a worker takes the waiting room: rooms open again
        _claim(broker, _consumer(keys))
        assert _open_room(http, keys)["id"] == waiting["id"] + 1  # a refusal left no row


def test_the_node_requeues_active_rooms_when_redis_lost_them_and_interrupts_none_at_start(
    tmp_path, redis_server
):
    _db, keys = _store(tmp_path)
    with _served(tmp_path, broker_url=redis_server.url) as (_app, http):
        first = _open_room(http, keys)
        stopped = _open_room(http, keys)
        http.post(f"/v1/live/rooms/{stopped['id']}/stop", headers=auth(keys["platform"][1]))
    # the node stops and starts again: with a broker its active rooms stay active
    with _served(tmp_path, broker_url=redis_server.url) as (app, http):
        seen = http.get(f"/v1/live/rooms/{first['id']}", headers=auth(keys["platform"][1]))
        assert seen.json()["state"] == "active"
        redis_server.restart()  # Redis comes back with nothing
        with redis_server.client() as broker:
            item = _claim(broker, _consumer(keys))
            assert item.item_id == str(first["id"])  # refilled from the store
            assert leases.claim_next(broker, "room", _consumer(keys)) is None  # not the stopped one
        pushed = http.post(
            f"/v1/live/rooms/{first['id']}/captions",
            json={"lines": [{"t": 1.0, "text": CLAIM}]},
            headers=auth(keys["platform"][1]),
        )
        assert pushed.status_code == 202
        assert app.state.broker_refill.missing >= 1
        redis_server.stop()
        down = http.post(
            f"/v1/live/rooms/{first['id']}/captions",
            json={"lines": [{"t": 2.0, "text": CLAIM}]},
            headers=auth(keys["platform"][1]),
        )
        assert (down.status_code, down.json()["error"]) == (503, "broker_unavailable")
        assert int(down.headers["Retry-After"]) > 0
        assert http.get("/v1/live/rooms", headers=auth(keys["platform"][1])).status_code == 200
        redis_server.start()


def test_a_room_no_one_pushes_to_and_no_worker_posts_for_stops_idle(tmp_path, redis_server):
    _db, keys = _store(tmp_path)
    with _served(tmp_path, broker_url=redis_server.url, room_idle_seconds=1.0) as (_app, http):
        room = _open_room(http, keys)

        def stopped():
            found = http.get(f"/v1/live/rooms/{room['id']}", headers=auth(keys["platform"][1]))
            return found.json() if found.json()["state"] != "active" else None

        ended = wait_until(stopped, 30, "the idle room was not stopped")
        assert ended["state"] == "ended" and "idle timeout" in ended["error"]
        assert [e["type"] for e in ended["last_events"]] == ["idle_timeout", "stopped"]


def test_the_live_page_shows_which_worker_holds_each_room_and_the_workers(node):
    http, keys, _db, broker = node
    held = _open_room(http, keys)
    consumer = _consumer(keys)
    _claim(broker, consumer)
    http.get(f"/v1/worker/rooms/{held['id']}", headers=_as_worker(keys))
    waiting = _open_room(http, keys)
    presence.announce(
        broker,
        presence.WorkerPresence(
            worker=consumer, key_id=keys["worker"][0], host="gpu-1", rooms=(str(held["id"]),),
            rtf=0.5, heartbeat_at=datetime(2026, 5, 1, 8, 0, 30, tzinfo=UTC).timestamp(),
        ),
        ttl_s=60,
    )  # fmt: skip
    with httpx.Client(base_url=str(http.base_url), timeout=60) as browser:
        log_in(browser, keys["regulator"][1])
        page = browser.get("/ui/live/rooms").text
    held_card = page[page.index(f'id="room-{held["id"]}"') :]
    assert f"<code>{consumer}</code>" in held_card.split("</article>")[0]
    waiting_card = page[page.index(f'id="room-{waiting["id"]}"') :].split("</article>")[0]
    assert "等待分配 <small>waiting for a worker</small>" in waiting_card
    workers = page[page.index('id="workers"') :].split("</section>")[0]
    assert f'data-worker="{consumer}"' in workers and "gpu-1" in workers
    assert "2026-05-01 16:00" in workers  # the heartbeat in Beijing time


def test_a_worker_that_takes_a_room_over_resumes_where_the_store_is_and_the_first_is_refused(
    node,
):
    http, keys, _db, broker = node
    room = _open_room(http, keys)
    first, second = _consumer(keys, tail="0001"), _consumer(keys, "worker2", tail="0002")
    _claim(broker, first)
    http.get(f"/v1/worker/rooms/{room['id']}", headers=_as_worker(keys, consumer=first))
    posted = http.post(
        f"/v1/worker/rooms/{room['id']}/results",
        json={"results": [_result(5.0, CLAIM)], "position": {"stream_s": 9.0, "sequence": 3,
              "origin": 1.5}, "audio_s": 9.0},
        headers=_as_worker(keys, consumer=first),
    )  # fmt: skip
    assert posted.status_code == 200
    # the first worker stops heartbeating; the second takes the room over after the lease
    quick = leases.LeaseOptions(heartbeat_s=0.1, lease_s=0.3, takeover_every_s=0.1)
    taken = wait_until(lambda: leases.take_over(broker, "room", second, quick), 30, "no takeover")
    assert [item.item_id for item in taken] == [str(room["id"])]
    fetched = http.get(
        f"/v1/worker/rooms/{room['id']}", headers=_as_worker(keys, "worker2", consumer=second)
    )
    assert fetched.json()["resume"] == {
        "sequence": 3, "origin": 1.5, "stream_s": 9.0, "input_entry": None
    }  # fmt: skip
    late = http.post(
        f"/v1/worker/rooms/{room['id']}/results",
        json={"results": [_result(12.0, CLAIM)]},
        headers=_as_worker(keys, consumer=first),
    )
    assert (late.status_code, late.json()["error"]) == (409, "not_held")
    # a post without segments still moves the position
    moved = http.post(
        f"/v1/worker/rooms/{room['id']}/results",
        json={"position": {"stream_s": 20.0, "sequence": 5}, "audio_s": 20.0},
        headers=_as_worker(keys, "worker2", consumer=second),
    )
    assert moved.json() == {"recorded": [], "state": "active"}
    seen = http.get(f"/v1/live/rooms/{room['id']}", headers=auth(keys["platform"][1])).json()
    assert seen["worker"] == second and seen["audio_s"] == 20.0
    switches = [e for e in seen["last_events"] if e["type"] == "worker"]
    assert [(e["worker"], e["previous"]) for e in switches] == [(first, None), (second, first)]
    again = http.get(
        f"/v1/worker/rooms/{room['id']}", headers=_as_worker(keys, "worker2", consumer=second)
    )
    assert again.json()["resume"]["sequence"] == 5 and again.json()["resume"]["origin"] == 1.5


def test_a_post_from_a_worker_that_did_not_fetch_the_room_since_it_was_taken_over_is_refused(
    node,
):
    """The store fences posts: the broker says the first worker holds the room again, but the
    store's recorded worker is the one that fetched it last, so the first worker's post (made
    without reading the resume point) records nothing."""
    http, keys, db, broker = node
    room = _open_room(http, keys)
    first, second = _consumer(keys, tail="0001"), _consumer(keys, "worker2", tail="0002")
    quick = leases.LeaseOptions(heartbeat_s=0.1, lease_s=0.3, takeover_every_s=0.1)
    _claim(broker, first)
    http.get(f"/v1/worker/rooms/{room['id']}", headers=_as_worker(keys, consumer=first))
    wait_until(lambda: leases.take_over(broker, "room", second, quick), 30, "no takeover")
    http.get(f"/v1/worker/rooms/{room['id']}", headers=_as_worker(keys, "worker2", consumer=second))
    # the second stalls in turn; the first takes the room back on the broker but posts at once
    wait_until(lambda: leases.take_over(broker, "room", first, quick), 30, "no takeover back")
    assert leases.holder(broker, "room", room["id"]) == first
    before = _counts(db, room["id"])
    late = http.post(
        f"/v1/worker/rooms/{room['id']}/results",
        json={"results": [_result(30.0, CLAIM)], "position": {"stream_s": 34.0}, "audio_s": 34.0},
        headers=_as_worker(keys, consumer=first),
    )
    assert (late.status_code, late.json()["error"]) == (409, "not_held")
    assert _counts(db, room["id"]) == before
    assert (
        http.get(f"/v1/worker/rooms/{room['id']}", headers=_as_worker(keys, consumer=first)).json()[
            "resume"
        ]["stream_s"]
        is None
    )  # nothing moved; fetching makes it the room's again
    posted = http.post(
        f"/v1/worker/rooms/{room['id']}/results",
        json={"results": [_result(30.0, CLAIM)], "position": {"stream_s": 34.0}, "audio_s": 34.0},
        headers=_as_worker(keys, consumer=first),
    )
    assert posted.status_code == 200 and _counts(db, room["id"])["flags"] == before["flags"] + 1


def test_the_input_a_worker_posted_as_consumed_is_trimmed_from_the_broker(node):
    """Redis holds only the pushed input the store has not recorded as consumed."""
    http, keys, _db, broker = node
    room = _open_room(http, keys)
    _claim(broker, _consumer(keys))
    http.get(f"/v1/worker/rooms/{room['id']}", headers=_as_worker(keys))
    entries = []
    for second in range(5):
        pushed = http.post(
            f"/v1/live/rooms/{room['id']}/captions",
            json={"lines": [{"t": float(second), "text": f"第{second}句"}]},
            headers=auth(keys["platform"][1]),
        )
        entries.append(pushed.json()["input_entry"])
    assert room_input.pending(broker, room["id"]) == 5
    posted = http.post(
        f"/v1/worker/rooms/{room['id']}/results",
        json={"results": [_result(0.0, "第0句"), _result(1.0, "第1句"), _result(2.0, "第2句")],
              "position": {"input_entry": entries[2]}},
        headers=_as_worker(keys),
    )  # fmt: skip
    assert posted.status_code == 200
    with client_for(redis_url(broker), decode=False) as raw:
        left = room_input.read(raw, room["id"], None)
    assert [entry.entry_id for entry in left] == entries[2:]  # the committed one and after
    with client_for(redis_url(broker), decode=False) as raw:  # a successor reads on after it
        assert [e.entry_id for e in room_input.read(raw, room["id"], entries[2])] == entries[3:]

"""Live-room quotas and idle rooms (issue 13 §5) against a real uvicorn server: one anchor key
cannot fill every slot, regulators keep their reserved slots, the 429 names the quota and its
count; a room without input stops with an idle-timeout event (the library's clock is injected,
the server's timeout is one second)."""

from __future__ import annotations

import time

import pytest
from api_server import auth, served_client
from hls_server import LiveHls, cut_into_segments
from ui_login import log_in

from api import create_app
from api.core.context import Services
from monitor.live.rooms import LiveRooms
from monitor.settings import Settings
from monitor.sources.segments import Segment
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_workshop

KEYS = [
    ("regulator", "regulator", None), ("platform", "platform", None),
    ("platform2", "platform", None), ("anchor", "anchor", "A1"),
]  # fmt: skip


def _store(folder) -> dict[str, str]:
    db = open_db(folder / "q.db")
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1")
    add_anchor(db, "A2", "李师傅", "W1")
    keys = {name: create_key(db, role, anchor, actor="test")[1] for name, role, anchor in KEYS}
    db.conn.close()
    return keys


@pytest.fixture(scope="module")
def quota_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quotas")
    keys = _store(folder)
    settings = Settings(
        db=str(folder / "q.db"), data_dir=str(folder / "files"), live_max_rooms=3,
        live_regulator_rooms=1, live_rooms_per_anchor_key=1, live_rooms_per_platform_key=2,
        room_idle_seconds=0,
    )  # fmt: skip
    with served_client(create_app(folder / "q.db", settings)) as client:
        yield client, keys


def _open(client, key, anchor="A1"):
    return client.post("/v1/live/rooms", json={"anchor": anchor}, headers=auth(key))


def _stop_all(client, keys) -> None:
    for room in client.get("/v1/live/rooms", headers=auth(keys["regulator"])).json()["rooms"]:
        if room["state"] == "active":
            client.post(f"/v1/live/rooms/{room['id']}/stop", headers=auth(keys["regulator"]))


def test_an_anchor_key_holds_one_room_and_the_429_names_the_key_quota(quota_server):
    client, keys = quota_server
    assert _open(client, keys["anchor"]).status_code == 201
    second = _open(client, keys["anchor"])
    assert second.status_code == 429
    body = second.json()
    assert body["error"] == "room_quota_key"
    assert body["detail"] == {"quota": "key", "limit_rooms": 1, "active_rooms": 1}
    assert body["message"].startswith("此密钥同时监测的直播间已达上限 1 / ")
    assert _open(client, keys["platform"]).status_code == 201  # other keys are not starved
    _stop_all(client, keys)


def test_other_roles_never_take_the_regulators_reserved_slot(quota_server):
    client, keys = quota_server
    assert _open(client, keys["platform"]).status_code == 201
    assert _open(client, keys["platform2"], "A2").status_code == 201
    refused = _open(client, keys["platform"])  # its own quota (2) is not reached
    assert refused.status_code == 429 and refused.json()["error"] == "room_quota_role"
    assert refused.json()["detail"] == {"quota": "role", "limit_rooms": 2, "active_rooms": 2}
    assert _open(client, keys["anchor"]).status_code == 429
    assert _open(client, keys["regulator"]).status_code == 201  # the reserved slot
    full = _open(client, keys["regulator"])
    assert full.status_code == 429 and full.json()["error"] == "rooms_full"
    assert full.json()["detail"] == {"quota": "total", "limit_rooms": 3, "active_rooms": 3}
    _stop_all(client, keys)


@pytest.fixture
def rooms_on_a_clock(tmp_path, checker):
    """Live rooms of a store whose clock the test moves (no waiting)."""
    _store(tmp_path)
    settings = Settings(db=str(tmp_path / "q.db"), room_idle_seconds=300)
    clock = [1000.0]
    services = Services(tmp_path / "q.db", settings, checker, None)
    yield LiveRooms(services, clock=lambda: clock[0]), clock


def test_a_push_room_without_input_for_the_idle_timeout_stops_with_an_event(rooms_on_a_clock):
    rooms, clock = rooms_on_a_clock
    room = rooms.create(owner_key_id=2, owner_role="platform", anchor_id="A1", stream_id=None)
    clock[0] += 200
    rooms.push_captions(room["id"], [Segment(0.0, 2.0, "欢迎来到直播间")])
    clock[0] += 299
    assert rooms.stop_idle() == [] and rooms.is_live(room["id"])  # input 299 s ago
    clock[0] += 1
    assert rooms.stop_idle() == [room["id"]]
    stopped = rooms.get(room["id"])
    assert stopped["state"] == "ended" and stopped["error"].startswith("空闲超时 / idle timeout")
    kinds = [e["type"] for e in rooms.events(room["id"])]
    assert kinds[-2:] == ["idle_timeout", "stopped"]


def _ended(client, key: str, room_id: int, wait_s: float) -> tuple[dict, list[dict]]:
    """The room once it is no longer active (polled), and its events."""
    deadline = time.monotonic() + wait_s
    while (room := client.get(f"/v1/live/rooms/{room_id}", headers=auth(key)).json())[
        "state"
    ] == "active" and time.monotonic() < deadline:
        time.sleep(0.2)
    events = client.get(f"/v1/live/rooms/{room_id}/events", headers=auth(key)).json()["events"]
    return room, events


def test_an_idle_room_stops_on_the_server_and_the_live_page_says_so(tmp_path):
    keys = _store(tmp_path)
    settings = Settings(
        db=str(tmp_path / "q.db"), data_dir=str(tmp_path / "files"), room_idle_seconds=1
    )
    with served_client(create_app(tmp_path / "q.db", settings)) as client:
        opened = _open(client, keys["platform"]).json()
        room, events = _ended(client, keys["platform"], opened["id"], 30)
        assert room["state"] == "ended"
        [idle] = [e for e in events if e["type"] == "idle_timeout"]
        assert idle["detail"]["idle_s"] == 1 and "空闲超时" in idle["detail"]["message"]
        log_in(client, keys["platform"])
        page = client.get("/ui/live").text
        assert "空闲超时 <small>idle timeout</small>" in page
        assert "空闲超时 / idle timeout: no input for 1 s" in page  # the room's error
        assert _open(client, keys["platform"]).status_code == 201  # the slot is free again


class _StalledHls(LiveHls):
    """A live HLS stream that publishes its first segment and then nothing, never ending."""

    def published(self) -> int:
        return 1


def test_a_url_room_whose_source_stalls_stops_with_an_idle_timeout(tmp_path, claims_audio):
    segments = cut_into_segments(claims_audio[0], tmp_path)
    assert len(segments) > 1
    keys = _store(tmp_path)
    settings = Settings(
        db=str(tmp_path / "q.db"), data_dir=str(tmp_path / "files"), asr_language="en",
        watch_allow="127.0.0.1", room_idle_seconds=2, credit_recompute_hours=0,
        reload_watch=False,
    )  # fmt: skip
    live = _StalledHls(tmp_path, segments).start()
    try:
        with served_client(create_app(tmp_path / "q.db", settings)) as client:
            body = {"anchor": "A1", "source_url": live.url}
            opened = client.post("/v1/live/rooms", json=body, headers=auth(keys["platform"]))
            assert opened.status_code == 201, opened.text
            room, events = _ended(client, keys["platform"], opened.json()["id"], 120)
    finally:
        live.stop()
    assert room["state"] == "ended" and room["error"].startswith("空闲超时 / idle timeout")
    kinds = [e["type"] for e in events]  # what was heard is checked as the room stops
    assert "idle_timeout" in kinds and kinds[-1] == "stopped"
    assert "/live.m3u8" in live.requests and "/seg000.ts" in live.requests  # it did connect

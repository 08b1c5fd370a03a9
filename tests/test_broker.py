"""The broker (monitor/broker/) against a real redis-server on loopback: one item is held by one
worker, a worker that stops heartbeating loses its items to another within the documented bound,
a Redis that lost its data is refilled from the store's active rooms and unfinished jobs, and an
id enqueued twice is held once."""

from __future__ import annotations

import time

import pytest
from api_server import wait_until

from monitor.broker.keys import stream_key
from monitor.broker.leases import LeaseOptions, claim_next, finish, heartbeat, take_over
from monitor.broker.queue import QueueDepth, depths, enqueue, requeue_unfinished
from monitor.live.room_store import active_room_ids, insert_room, mark_stopped
from monitor.store import jobs
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_workshop

# a short lease so that the takeover test waits about a second, not ten
QUICK = LeaseOptions(heartbeat_s=0.2, lease_s=1.0, takeover_every_s=0.1)


@pytest.fixture
def client(redis_server):
    with redis_server.client() as client:
        yield client


def test_two_workers_claiming_one_room_hold_it_once(client):
    enqueue(client, "room", 7)
    first = claim_next(client, "room", "worker-a")
    second = claim_next(client, "room", "worker-b")
    assert first is not None and first.item_id == "7"
    assert second is None
    assert take_over(client, "room", "worker-b", QUICK) == []  # held, not idle
    assert depths(client)[0] == QueueDepth("room", waiting=0, held=1)


def test_rooms_and_jobs_are_queued_apart(client):
    enqueue(client, "room", 1)
    enqueue(client, "job", 1)
    assert claim_next(client, "job", "worker-a").kind == "job"
    assert claim_next(client, "job", "worker-a") is None
    assert claim_next(client, "room", "worker-a").item_id == "1"


def test_the_same_id_enqueued_twice_is_held_once(client):
    assert enqueue(client, "job", 42) is not None
    assert enqueue(client, "job", "42") is None
    assert client.xlen(stream_key("job")) == 1
    held = claim_next(client, "job", "worker-a")
    assert enqueue(client, "job", 42) is None  # held is still queued
    assert claim_next(client, "job", "worker-b") is None
    assert finish(client, "worker-a", held)
    assert enqueue(client, "job", 42) is not None  # finished: it may be queued again


def test_a_heartbeating_worker_keeps_its_room(client):
    enqueue(client, "room", 3)
    held = [claim_next(client, "room", "worker-a")]
    for _ in range(int(2 * QUICK.lease_s / QUICK.heartbeat_s)):  # twice the lease, heartbeating
        time.sleep(QUICK.heartbeat_s)
        held = heartbeat(client, "room", "worker-a", held)
        assert [item.item_id for item in held] == ["3"]
        assert take_over(client, "room", "worker-b", QUICK) == []


def test_a_worker_that_stops_heartbeating_loses_its_room_within_the_bound(client):
    enqueue(client, "room", 5)
    held = claim_next(client, "room", "worker-a")
    last_sign_of_life = time.monotonic()

    def taken():
        time.sleep(QUICK.takeover_every_s)
        return take_over(client, "room", "worker-b", QUICK)

    taken_over = wait_until(taken, QUICK.takeover_bound_s, "the room was not taken over")
    waited = time.monotonic() - last_sign_of_life
    assert [item.item_id for item in taken_over] == ["5"]
    assert waited >= QUICK.lease_s  # never before the lease ran out
    assert heartbeat(client, "room", "worker-a", [held]) == []  # the old holder learns it lost it
    assert heartbeat(client, "room", "worker-b", taken_over) == taken_over
    assert not finish(client, "worker-a", held)
    assert finish(client, "worker-b", taken_over[0])
    assert depths(client)[0] == QueueDepth("room", waiting=0, held=0)


def test_redis_wiped_then_the_unfinished_ids_are_queued_again(redis_server, client):
    unfinished = ["11", "12", "13"]
    assert requeue_unfinished(client, "room", unfinished) == unfinished
    held = claim_next(client, "room", "worker-a")
    assert requeue_unfinished(client, "room", unfinished) == []  # Redis kept them: nothing added

    redis_server.restart()
    assert depths(client)[0] == QueueDepth("room", waiting=0, held=0)
    assert heartbeat(client, "room", "worker-a", [held]) == []  # its lease went with the data
    assert requeue_unfinished(client, "room", unfinished) == unfinished
    claimed = [claim_next(client, "room", "worker-b") for _ in unfinished]
    assert sorted(item.item_id for item in claimed) == unfinished
    assert claim_next(client, "room", "worker-b") is None


def test_a_worker_whose_redis_was_wiped_claims_again_without_an_error(redis_server, client):
    enqueue(client, "job", 9)
    redis_server.restart()  # the stream and the consumer group are gone
    assert claim_next(client, "job", "worker-a") is None
    enqueue(client, "job", 9)
    assert claim_next(client, "job", "worker-a").item_id == "9"


def _claim_all(client, kind):
    claimed = []
    while item := claim_next(client, kind, "worker-a"):
        claimed.append(int(item.item_id))
    return sorted(claimed)


def test_a_wiped_redis_is_refilled_with_the_stores_active_rooms_and_unfinished_jobs(
    redis_server, client, tmp_path
):
    db = open_db(tmp_path / "store.db")
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1", [])
    key_id, _ = create_key(db, "platform")
    room = {"owner_key_id": key_id, "anchor_id": "A1", "stream_id": None, "product_id": None,
            "profile": None, "source_url": None, "actor": "test"}  # fmt: skip
    rooms = [insert_room(db, **room)[0] for _ in range(3)]
    mark_stopped(db, rooms[1], "A1", "stopped", None, "test")
    job = {"owner_key_id": key_id, "file_path": "a.wav", "file_name": "a.wav", "size_bytes": 1}
    job_ids = [jobs.enqueue(db, **job)[0]["id"] for _ in range(4)]
    running = jobs.claim_next(db)["id"]  # the oldest: now running, still unfinished
    jobs.finish(db, jobs.claim_next(db)["id"], {})  # the second: done (only a running job ends)
    jobs.fail(db, job_ids[2], "坏文件 / bad file")

    redis_server.restart()
    requeue_unfinished(client, "room", active_room_ids(db))
    requeue_unfinished(client, "job", jobs.unfinished_job_ids(db))
    assert _claim_all(client, "room") == [rooms[0], rooms[2]]
    assert _claim_all(client, "job") == [running, job_ids[3]]

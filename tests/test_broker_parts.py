"""The broker parts the API node and the workers share: waiting items, giving a room back, who holds an item, a room's pushed input, worker presence."""

import time

from monitor.broker import leases, presence, queue, room_input


def test_waiting_give_back_holder_input_and_presence(redis_server):
    c = redis_server.client()
    queue.enqueue(c, "room", 1)
    queue.enqueue(c, "room", 2)
    w = queue.waiting(c, "room", int(time.time() * 1000))
    assert [x.item_id for x in w] == ["1", "2"]
    item = leases.claim_next(c, "room", "w1.a")
    assert leases.holder(c, "room", 1) == "w1.a"
    assert leases.holder(c, "room", 2) is None
    assert [x.item_id for x in queue.waiting(c, "room", int(time.time() * 1000))] == ["2"]
    new = leases.give_back(c, "w1.a", item)
    assert new and leases.holder(c, "room", 1) is None
    assert [x.item_id for x in queue.waiting(c, "room", int(time.time() * 1000))] == ["2", "1"]
    assert leases.give_back(c, "w1.a", item) is None
    raw = room_input.raw_client(redis_server.url)
    e1 = room_input.push(raw, 7, "caption", b'{"text":"x"}')
    room_input.push(raw, 7, "pcm", b"\x00\x01")
    got = room_input.read(raw, 7, None)
    assert [g.type for g in got] == ["caption", "pcm"] and got[1].data == b"\x00\x01"
    assert [g.type for g in room_input.read(raw, 7, e1)] == ["pcm"]
    presence.announce(c, presence.WorkerPresence("w1.a", 1, "h", rooms=("1",), rtf=0.5), 5)
    ws = presence.list_workers(c)
    assert ws[0].rooms == ("1",) and ws[0].rtf == 0.5

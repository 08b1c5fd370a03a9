"""The broker as the admin status and the live page show it: whether it answers, each queue's
waiting and held items, the workers alive with what they hold and their speed, and the rooms
waiting for a worker with how long they have waited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis

from monitor.broker.connect import shown
from monitor.broker.presence import WorkerPresence, list_workers
from monitor.broker.queue import depths, waiting


def broker_status(client: redis.Redis, url: str, now: float) -> dict[str, Any]:
    """The broker at `url` now (Unix time `now`); `connected` False (and empty lists) when it
    does not answer."""
    found: dict[str, Any] = {
        "url": shown(url), "connected": False, "queues": [], "workers": [], "rooms_waiting": [],
    }  # fmt: skip
    try:
        queues = depths(client)
        workers = list_workers(client)
        rooms_waiting = waiting(client, "room", int(now * 1000))
    except redis.RedisError:
        return found
    found["connected"] = True
    found["queues"] = [{"kind": q.kind, "waiting": q.waiting, "held": q.held} for q in queues]
    found["workers"] = [_worker(w) for w in workers]
    found["rooms_waiting"] = [
        {"room_id": int(w.item_id), "waited_s": round(w.waited_s, 1)} for w in rooms_waiting
    ]
    return found


def _worker(presence: WorkerPresence) -> dict[str, Any]:
    beat = datetime.fromtimestamp(presence.heartbeat_at, UTC)
    return {
        "worker": presence.worker,
        "host": presence.host,
        "device": presence.device,
        "max_rooms": presence.max_rooms,
        "rooms": [int(r) for r in presence.rooms],
        "jobs": [int(j) for j in presence.jobs],
        "rtf": None if presence.rtf is None else round(presence.rtf, 3),
        "last_heartbeat": beat.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }

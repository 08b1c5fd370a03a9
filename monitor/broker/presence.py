"""Which workers are alive and what they hold: each worker writes its presence (a hash) with every
heartbeat, expiring after `ttl_s`, so a worker that died vanishes from the admin status on its
own. Read by the API node's `/v1/admin/status` and the live page."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field

import redis

from monitor.broker.keys import PRESENCE_PREFIX, presence_key
from monitor.broker.queue import as_text


@dataclass(frozen=True)
class WorkerPresence:
    worker: str  # the consumer name, `w<key id>.<host>.<pid>…`
    key_id: int
    host: str
    device: str = "cpu"
    max_rooms: int = 1
    rooms: tuple[str, ...] = ()  # room ids held
    jobs: tuple[str, ...] = ()  # job ids held
    rtf: float | None = None  # real-time factor over the last minute (processing / audio time)
    heartbeat_at: float = field(default_factory=time.time)  # Unix time of the last heartbeat


def announce(client: redis.Redis, presence: WorkerPresence, ttl_s: float) -> None:
    """Write the worker's presence, expiring after `ttl_s` without another announcement."""
    body = asdict(presence)
    body["rooms"] = json.dumps(list(presence.rooms))
    body["jobs"] = json.dumps(list(presence.jobs))
    body["rtf"] = "" if presence.rtf is None else repr(presence.rtf)
    key = presence_key(presence.worker)
    pipe = client.pipeline(transaction=True)
    pipe.hset(key, mapping={k: str(v) for k, v in body.items()})
    pipe.pexpire(key, max(1, int(ttl_s * 1000)))
    pipe.execute()


def forget(client: redis.Redis, worker: str) -> None:
    """The worker stopped cleanly: it is gone from the status at once."""
    client.delete(presence_key(worker))


def list_workers(client: redis.Redis) -> list[WorkerPresence]:
    """Every worker announced and not expired, by name."""
    found = []
    for key in client.scan_iter(match=f"{PRESENCE_PREFIX}*", count=500):
        raw = client.hgetall(key)
        if not raw:
            continue  # expired between the scan and the read
        body = {as_text(k): as_text(v) for k, v in raw.items()}
        found.append(
            WorkerPresence(
                worker=body["worker"], key_id=int(body["key_id"]), host=body["host"],
                device=body.get("device", "cpu"), max_rooms=int(body.get("max_rooms", 1)),
                rooms=tuple(json.loads(body.get("rooms") or "[]")),
                jobs=tuple(json.loads(body.get("jobs") or "[]")),
                rtf=float(body["rtf"]) if body.get("rtf") else None,
                heartbeat_at=float(body["heartbeat_at"]),
            )
        )  # fmt: skip
    return sorted(found, key=lambda w: w.worker)

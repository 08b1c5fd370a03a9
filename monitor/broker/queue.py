"""Putting work on the broker: enqueueing a room or a media job, and refilling the queues from the
store's unfinished work (at the API node's start and when Redis comes back empty).

Enqueueing is idempotent: an item id is held once however often it is enqueued. A "queued" marker
per id (`SET NX`, keys.queued_key) and the stream entry are written together by one Lua script, so
no crash leaves a marker without its entry or an entry without its marker. The marker goes when the
item is finished (leases.finish), so a room or job can be queued again after that. A Redis that
lost its data lost the markers with the streams: re-enqueueing the unfinished ids then queues each
once, and re-enqueueing while Redis still holds them changes nothing. Redis must not evict keys
(`maxmemory-policy noeviction`, its default): a marker evicted without its entry, or the reverse,
would break the pairing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import redis

from monitor.broker.keys import GROUP, ITEM_FIELD, KINDS, Kind, queued_key, stream_key

# KEYS[1] the marker, KEYS[2] the stream; ARGV[1] the item id, ARGV[2] its field name. The new
# entry id, or nil when the item was queued already.
_ENQUEUE = """
if not redis.call('SET', KEYS[1], '', 'NX') then
  return false
end
local entry = redis.call('XADD', KEYS[2], '*', ARGV[2], ARGV[1])
redis.call('SET', KEYS[1], entry)
return entry
"""


@dataclass(frozen=True)
class QueueDepth:
    """One stream's work: `waiting` for a worker, `held` by one (pending, not yet finished)."""

    kind: Kind
    waiting: int
    held: int


def ensure_group(client: redis.Redis, kind: Kind) -> None:
    """Create the kind's stream and its consumer group when missing (after a wipe too)."""
    try:
        client.xgroup_create(stream_key(kind), GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def enqueue(client: redis.Redis, kind: Kind, item_id: str | int) -> str | None:
    """Queue a room or job for the workers; the stream entry id, or None when it is already
    queued (waiting or held)."""
    ensure_group(client, kind)
    entry = _enqueue_one(client, kind, str(item_id))
    return as_text(entry) if entry else None


def requeue_unfinished(client: redis.Redis, kind: Kind, item_ids: Iterable[str | int]) -> list[str]:
    """Enqueue every unfinished item the store lists, in one round trip; the ids that were missing
    from Redis (all of them after a wipe, none when Redis kept its data)."""
    ids = [str(i) for i in item_ids]
    ensure_group(client, kind)
    pipe = client.pipeline(transaction=False)
    for item_id in ids:
        _enqueue_one(pipe, kind, item_id)
    return [item_id for item_id, entry in zip(ids, pipe.execute(), strict=True) if entry]


def _enqueue_one(client: redis.Redis | redis.client.Pipeline, kind: Kind, item_id: str):
    return client.eval(
        _ENQUEUE, 2, queued_key(kind, item_id), stream_key(kind), item_id, ITEM_FIELD
    )


def depths(client: redis.Redis) -> list[QueueDepth]:
    """Waiting and held counts of every kind's queue, for the admin status. A finished item's entry
    is deleted with its acknowledgement, so the stream holds exactly the waiting and held items."""
    found = []
    for kind in KINDS:
        ensure_group(client, kind)
        held = client.xpending(stream_key(kind), GROUP)["pending"]
        found.append(QueueDepth(kind, waiting=client.xlen(stream_key(kind)) - held, held=held))
    return found


@dataclass(frozen=True)
class Waiting:
    """An item queued and not yet taken by any worker, and how long it has waited."""

    item_id: str
    waited_s: float


def waiting(client: redis.Redis, kind: Kind, now_ms: int, limit: int = 100) -> list[Waiting]:
    """The items no worker has taken yet, oldest first, up to `limit`: the entries after the group's
    last delivered one (an entry id starts with the milliseconds it was added at)."""
    ensure_group(client, kind)
    group = next(g for g in client.xinfo_groups(stream_key(kind)) if as_text(g["name"]) == GROUP)
    last = as_text(group["last-delivered-id"])
    entries = client.xrange(stream_key(kind), min=f"({last}", max="+", count=limit)
    return [
        Waiting(
            as_text(fields.get(ITEM_FIELD) or fields.get(ITEM_FIELD.encode())),
            max(0.0, (now_ms - int(as_text(entry_id).split("-")[0])) / 1000),
        )
        for entry_id, fields in entries
    ]


def as_text(value: str | bytes) -> str:
    """A Redis reply as text, whether or not the client decodes responses."""
    return value.decode() if isinstance(value, bytes) else value

"""Holding work: a worker claims the next room or job, keeps it by heartbeating, finishes it, and
takes over what a stopped worker held.

The lease is the consumer group's pending entry; there is no second lease key. Claiming
(`XREADGROUP … >`) makes the worker the entry's holder and starts its idle clock. Each heartbeat
resets that clock (`XCLAIM … 0 JUSTID` on the entries the worker still holds, checked in the same
Lua script so that a worker never takes back what another took over). An entry idle for
`lease_s` belongs to nobody: any worker's `take_over` (`XAUTOCLAIM` with that minimum idle time)
claims it. So a worker that dies right after a heartbeat loses its items to another at most
`lease_s + takeover_every_s` later (`LeaseOptions.takeover_bound_s`, 15 s by default), and one
that misses fewer than `lease_s / heartbeat_s - 1` heartbeats in a row keeps them.

A heartbeat returns the entries still held: a worker drops at once the work it no longer holds
(taken over after a stall, or gone with a Redis that lost its data and was refilled). Delivery is
at least once, so the results a worker sends must be idempotent (issue 15): (stream, segment
start) and (job, step).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import redis

from monitor.broker.keys import GROUP, ITEM_FIELD, Kind, queued_key, stream_key
from monitor.broker.queue import as_text, ensure_group

# KEYS[1] the stream; ARGV[1] the group, ARGV[2] the consumer, ARGV[3..] entry ids. The entry ids
# the consumer still holds, each with its idle clock reset.
_HEARTBEAT = """
local held = {}
for i = 3, #ARGV do
  local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if type(pending) == 'table' and not pending.err and pending[1] and pending[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    held[#held + 1] = ARGV[i]
  end
end
return held
"""

# KEYS[1] the stream, KEYS[2] the item's marker; ARGV as for _HEARTBEAT with one entry id.
# 1 when the consumer held the entry and it is now acknowledged, deleted and unmarked, else 0.
_FINISH = """
local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if type(pending) ~= 'table' or pending.err or not pending[1] or pending[1][2] ~= ARGV[2] then
  return 0
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[3] then
  redis.call('DEL', KEYS[2])
end
return 1
"""


# KEYS[1] the stream, KEYS[2] the item's marker; ARGV as for _FINISH plus ARGV[4] the item id and
# ARGV[5] its field name. The new entry id when the consumer held the entry and it is now queued
# again at the tail, else false.
_GIVE_BACK = """
local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if type(pending) ~= 'table' or pending.err or not pending[1] or pending[1][2] ~= ARGV[2] then
  return false
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
local entry = redis.call('XADD', KEYS[1], '*', ARGV[5], ARGV[4])
redis.call('SET', KEYS[2], entry)
return entry
"""


@dataclass(frozen=True)
class LeaseOptions:
    """How long a worker holds work without a sign of life. Seconds."""

    heartbeat_s: float = 3.0  # how often a worker renews what it holds
    lease_s: float = 10.0  # idle time after which a held item may be taken over
    takeover_every_s: float = 5.0  # how often a worker looks for items to take over

    @property
    def takeover_bound_s(self) -> float:
        """The longest a dead worker's item waits for another worker, from its last heartbeat."""
        return self.lease_s + self.takeover_every_s


@dataclass(frozen=True)
class WorkItem:
    """A room or job a worker holds: its id in the store and its entry on the stream."""

    kind: Kind
    item_id: str
    entry_id: str


def claim_next(
    client: redis.Redis, kind: Kind, consumer: str, block_ms: int | None = None
) -> WorkItem | None:
    """The next waiting item, now held by `consumer`; None when none came within `block_ms`
    (None: do not wait)."""
    try:
        answer = _read(client, kind, consumer, block_ms)
    except redis.ResponseError as exc:
        if "NOGROUP" not in str(exc):
            raise
        ensure_group(client, kind)  # Redis lost its data: the group comes back empty
        answer = _read(client, kind, consumer, block_ms)
    for _stream, entries in answer or []:
        for entry_id, fields in entries:
            return _item(kind, entry_id, fields)
    return None


def heartbeat(
    client: redis.Redis, kind: Kind, consumer: str, held: Iterable[WorkItem]
) -> list[WorkItem]:
    """Renew the lease on `held`; the items `consumer` still holds (drop the others)."""
    items = {item.entry_id: item for item in held}
    if not items:
        return []
    kept = client.eval(_HEARTBEAT, 1, stream_key(kind), GROUP, consumer, *items)
    return [items[as_text(entry_id)] for entry_id in kept]


def take_over(
    client: redis.Redis, kind: Kind, consumer: str, options: LeaseOptions, count: int = 1
) -> list[WorkItem]:
    """Up to `count` items whose holder has not heartbeaten for `options.lease_s`, now held by
    `consumer`."""
    ensure_group(client, kind)
    min_idle_ms = int(options.lease_s * 1000)
    _cursor, entries, *_deleted = client.xautoclaim(
        stream_key(kind), GROUP, consumer, min_idle_ms, start_id="0-0", count=count
    )
    return [_item(kind, entry_id, fields) for entry_id, fields in entries if fields]


def finish(client: redis.Redis, consumer: str, item: WorkItem) -> bool:
    """The item is done (room ended, job finished): acknowledge and forget it, so it may be
    queued again. False when `consumer` no longer held it (another worker took it over)."""
    done = client.eval(
        _FINISH,
        2,
        stream_key(item.kind),
        queued_key(item.kind, item.item_id),
        GROUP,
        consumer,
        item.entry_id,
    )
    return bool(done)


def give_back(client: redis.Redis, consumer: str, item: WorkItem) -> str | None:
    """Put a held item back at the tail of its queue for another worker (this one cannot keep up);
    the new entry id, or None when `consumer` no longer held it. Atomic: the item is never both
    held and waiting, nor lost between the two."""
    entry = client.eval(
        _GIVE_BACK, 2, stream_key(item.kind), queued_key(item.kind, item.item_id),
        GROUP, consumer, item.entry_id, item.item_id, ITEM_FIELD,
    )  # fmt: skip
    return as_text(entry) if entry else None


def holder(client: redis.Redis, kind: Kind, item_id: str | int) -> str | None:
    """The consumer holding the item now (None: it waits for a worker, or is not queued). The API
    node asks this before it lets a worker read an item's inputs or post its results."""
    entry = client.get(queued_key(kind, str(item_id)))
    if not entry:
        return None
    try:
        found = client.xpending_range(stream_key(kind), GROUP, min=entry, max=entry, count=1)
    except redis.ResponseError:  # no group: Redis lost its data
        return None
    return as_text(found[0]["consumer"]) if found else None


def _read(client: redis.Redis, kind: Kind, consumer: str, block_ms: int | None):
    return client.xreadgroup(GROUP, consumer, {stream_key(kind): ">"}, count=1, block=block_ms)


def _item(kind: Kind, entry_id: str | bytes, fields: dict) -> WorkItem:
    values = {as_text(k): as_text(v) for k, v in fields.items()}
    return WorkItem(kind, values[ITEM_FIELD], as_text(entry_id))

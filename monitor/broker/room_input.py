"""A live room's pushed input on the broker: caption lines and audio blocks appended by the API
node as they arrive, read in order by the worker that holds the room. Entries stay until the
store has recorded them as consumed (`consumed`, after each post of the room's worker) or the room
is finished (`drop`), so a worker that takes the room over reads on from the last entry the store
recorded as consumed (the room's `input_entry`), not from what the dead worker had read.

Each entry is `type` (one of INPUT_TYPES) and `data` (bytes: a caption line as JSON, PCM or an
encoded chunk; empty for `stop`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import redis

from monitor.broker.keys import input_key
from monitor.broker.queue import as_text

InputType = Literal["caption", "pcm", "encoded", "stop"]
INPUT_TYPES: tuple[InputType, ...] = ("caption", "pcm", "encoded", "stop")


@dataclass(frozen=True)
class RoomInput:
    entry_id: str
    type: InputType
    data: bytes


def push(client: redis.Redis, room_id: int | str, type: InputType, data: bytes = b"") -> str:
    """Append one input to the room's stream; its entry id."""
    if type not in INPUT_TYPES:
        raise ValueError(f"unknown input type {type!r}")
    return as_text(client.xadd(input_key(room_id), {"type": type, "data": data}))


def read(
    client: redis.Redis,
    room_id: int | str,
    after: str | None,
    *,
    count: int = 100,
    block_ms: int | None = None,
) -> list[RoomInput]:
    """The inputs after entry `after` (None or "": from the first), oldest first; waits up to
    `block_ms` for one when there is none (None: do not wait). The client must not decode
    responses (audio is bytes): use `raw_client`."""
    answer = client.xread({input_key(room_id): after or "0-0"}, count=count, block=block_ms)
    found = []
    for _stream, entries in answer or []:
        for entry_id, fields in entries:
            values = {as_text(k): v for k, v in fields.items()}
            found.append(RoomInput(as_text(entry_id), as_text(values["type"]), values["data"]))
    return found


def pending(client: redis.Redis, room_id: int | str) -> int:
    """How many inputs the room's stream holds (read or not: entries stay until `drop`)."""
    return client.xlen(input_key(room_id))


def consumed(client: redis.Redis, room_id: int | str, entry_id: str) -> int:
    """The store committed the room's input up to `entry_id`: the entries before it are removed
    (a worker taking the room over reads after `entry_id`, so it never needs them), and a room
    pushing audio for hours holds only what is not yet recorded. How many were removed."""
    return client.xtrim(input_key(room_id), minid=entry_id, approximate=False)


def drop(client: redis.Redis, room_id: int | str) -> None:
    """Forget the room's input (the room is finished)."""
    client.delete(input_key(room_id))


def raw_client(url: str) -> redis.Redis:
    """A client that returns bytes, as audio needs (the queues' functions accept either kind)."""
    return redis.Redis.from_url(url, decode_responses=False)

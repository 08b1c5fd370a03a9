"""The names of everything the broker keeps in Redis, in one place.

Each kind of work has one stream, one consumer group on it, and one "queued" marker per item id.
The `{room}` / `{job}` hash tags keep a kind's keys in one Redis Cluster slot, so that the scripts
that touch a stream and its markers together may run on a cluster too.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["room", "job"]
KINDS: tuple[Kind, ...] = ("room", "job")
GROUP = "workers"  # the one consumer group every worker joins, on every stream
ITEM_FIELD = "id"  # the stream entry's field holding the room or job id


def stream_key(kind: Kind) -> str:
    """The stream a kind of work is queued on: `qinglang:{room}:queue`, `qinglang:{job}:queue`."""
    return f"qinglang:{{{kind}}}:queue"


def queued_key(kind: Kind, item_id: str) -> str:
    """The marker that says an item is on its stream (held or waiting); its value is the entry id."""
    return f"qinglang:{{{kind}}}:queued:{item_id}"

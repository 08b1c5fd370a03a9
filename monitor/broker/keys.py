"""The names of everything the broker keeps in Redis, in one place.

Each kind of work has one stream, one consumer group on it, and one "queued" marker per item id.
A live room also has an input stream: the caption lines and audio pushed to it, in order, so that
whichever worker holds the room reads them (and one that takes it over continues after the last
entry the store recorded). Each worker announces itself under a presence key that expires when it
stops heartbeating. The `{room}` / `{job}` hash tags keep a kind's keys in one Redis Cluster slot,
so that the scripts that touch a stream and its markers together may run on a cluster too.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["room", "job"]
KINDS: tuple[Kind, ...] = ("room", "job")
GROUP = "workers"  # the one consumer group every worker joins, on every stream
ITEM_FIELD = "id"  # the stream entry's field holding the room or job id
PRESENCE_PREFIX = "qinglang:worker:"  # + consumer name: a hash, expiring with the worker's leases


def stream_key(kind: Kind) -> str:
    """The stream a kind of work is queued on: `qinglang:{room}:queue`, `qinglang:{job}:queue`."""
    return f"qinglang:{{{kind}}}:queue"


def queued_key(kind: Kind, item_id: str) -> str:
    """The marker that says an item is on its stream (held or waiting); its value is the entry id."""
    return f"qinglang:{{{kind}}}:queued:{item_id}"


def input_key(room_id: str | int) -> str:
    """A room's pushed input (caption lines, audio, and `stop`), oldest first."""
    return f"qinglang:{{room}}:input:{room_id}"


def presence_key(consumer: str) -> str:
    return f"{PRESENCE_PREFIX}{consumer}"


def consumer_prefix(key_id: int) -> str:
    """Every worker consumer name starts with its API key's id: `w<key id>.`, so that the API
    node can tell which key a consumer belongs to and refuse one key acting as another's worker."""
    return f"w{key_id}."

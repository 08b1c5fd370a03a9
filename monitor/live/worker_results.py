"""What a speech worker on another machine posts for the live room it holds (issue 15), recorded
on the API node: the worker sends timed text only; the room is checked here, with the room's
profile, product class and product facts, so that every room is checked by one lexicon and model
version and a worker key can never forge a flag or its legal basis.

Delivery is at least once, so recording is idempotent: a result is keyed by the start of its
first segment (`result_key`), and a key already recorded changes nothing (no second event, count
or webhook); flags are deduplicated by the flag store as for every source. The results, the
events the worker reports (`gap`, `reconnecting`, …, keyed by their content) and the position a
worker that takes the room over resumes from are committed in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from monitor.checking.checker import Checker
from monitor.checking.timed_check import check_segments
from monitor.errors import MissingRecord, StateConflict
from monitor.live.room_results import OnBlock, record_room_result
from monitor.live.room_store import add_event, event_for_key, recorded_worker, store_position
from monitor.live.stored_rooms import product_facts
from monitor.live.stream_monitor import LiveResult
from monitor.report import ReportWarning
from monitor.sources.segments import Segment
from monitor.store.db import transaction

# Event types only the API node writes: a worker may not post them.
OWN_EVENT_TYPES = frozenset({"result", "worker", "stopped", "idle_timeout"})


@dataclass(frozen=True)
class PostedResult:
    """Segments a worker recognised (or read from pushed captions) together."""

    segments: tuple[Segment, ...]
    latency_s: float = 0.0
    warnings: tuple[ReportWarning, ...] = ()


@dataclass(frozen=True)
class WorkerPost:
    """One post of a worker: results, where the room is covered up to, how much audio it heard,
    and what happened to the stream meanwhile (`(type, detail)`)."""

    results: tuple[PostedResult, ...] = ()
    position: dict[str, Any] = field(default_factory=dict)
    audio_s: float = 0.0
    events: tuple[tuple[str, dict], ...] = ()


@dataclass(frozen=True)
class _Target:
    id: int
    anchor_id: str
    stream_id: str
    product_id: str | None


def result_key(segments: Sequence[Segment]) -> str:
    """A result's key: the start of its first segment in milliseconds (`s61500`)."""
    return f"s{round(segments[0].start * 1000)}"


def record_post(
    db: sqlite_utils.Database,
    checker: Checker,
    room: dict[str, Any],
    post: WorkerPost,
    *,
    default_profile: str | None,
    on_block: OnBlock | None,
    worker: str,
) -> list[int]:
    """Check and record `worker`'s post for `room` (its store row); the event number of each
    result with segments, in order (the one recorded before for a replayed result).

    Fenced in the store: the post is refused (`StateConflict` `not_held`, nothing recorded) unless
    `worker` is the room's recorded worker in the same transaction. A worker that took the room
    over became its recorded worker when it fetched the room, before it read any audio; so a late
    post of the worker it replaced (stalled past its lease, not yet told) can no longer land after
    the successor read the resume position, and the same speech is never recorded twice with
    different segment times."""
    try:
        facts, product_class = product_facts(db, room["product_id"])
    except MissingRecord:  # removed since the room started: checked without its facts
        facts, product_class = None, None
    checked = []
    for posted in post.results:
        if not posted.segments:
            continue
        timed = check_segments(
            checker, posted.segments, profile=room["profile"] or default_profile,
            product_class=product_class, facts=facts, warnings=posted.warnings,
        )  # fmt: skip
        result = LiveResult(posted.segments, timed.report, timed.timed.text, posted.latency_s)
        checked.append((result_key(posted.segments), result))
    target = _Target(room["id"], room["anchor_id"], room["stream_id"], room["product_id"])
    recorded = []
    with transaction(db):
        if recorded_worker(db, target.id) != worker:
            raise StateConflict(
                f"直播间 {target.id} 已由其他节点接管 / room {target.id} is now another worker's",
                "not_held",
            )
        for key, result in checked:
            seq = event_for_key(db, target.id, key)
            if seq is None:
                seq = record_room_result(db, target, result, post.audio_s, on_block, key)["seq"]
            recorded.append(seq)
        for kind, detail in post.events:
            key = _event_key(kind, detail)
            if event_for_key(db, target.id, key) is None:
                add_event(db, target.id, kind, {"detail": detail}, key)
        store_position(db, target.id, post.position, post.audio_s)
    return recorded


def _event_key(kind: str, detail: dict) -> str:
    """A posted event's key: its type and content, so that a replayed post adds it once."""
    body = json.dumps(detail, sort_keys=True, ensure_ascii=False)
    return f"e{kind}:{hashlib.sha256(body.encode()).hexdigest()[:16]}"

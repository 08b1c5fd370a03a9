"""The live rooms' rows and numbered events in the store: opening a room's row, marking it
stopped (or interrupted when a killed process left it active), reading a room with its last
events, and appending and reading events. Every room start and stop is audited. Holds no
monitor and no thread: those live in live/rooms.py."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlite_utils

from monitor.ids import stream_id_from
from monitor.store import audit
from monitor.store.db import now_iso, transaction, where_equal

LAST_EVENTS = 10  # events a room's summary carries
SYSTEM_ACTOR = "system"  # who the audit log names for rooms stopped by the service itself


def interrupt_active_rooms(db: sqlite_utils.Database) -> None:
    """Mark the rooms a killed process left active `interrupted` (at start-up)."""
    with transaction(db):
        left = db.execute("SELECT id, anchor_id FROM live_rooms WHERE state = 'active'")
        error = "服务重启 / the service restarted while the room was active"
        for room_id, anchor_id in left.fetchall():
            db.execute(
                "UPDATE live_rooms SET state = 'interrupted', stopped_at = ?, error = ? "
                "WHERE id = ?",
                [now_iso(), error, room_id],
            )
            _audit_stop(db, SYSTEM_ACTOR, room_id, anchor_id, "interrupted", error)


def insert_room(
    db: sqlite_utils.Database,
    *,
    owner_key_id: int,
    anchor_id: str,
    stream_id: str | None,
    product_id: str | None,
    profile: str | None,
    source_url: str | None,
    actor: str,
) -> tuple[int, str]:
    """A new active room's row, its start audited as `actor`'s; returns its id and stream id
    (`<anchor>:live-<room id>` when none was given)."""
    with transaction(db):
        room_id = db.execute(
            "INSERT INTO live_rooms (owner_key_id, anchor_id, stream_id, product_id, "
            "profile, source_url, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [owner_key_id, anchor_id, stream_id or "", product_id, profile,
             source_url, now_iso()],
        ).lastrowid  # fmt: skip
        stream_id = stream_id or stream_id_from(f"{anchor_id}:live-{room_id}")
        db.execute("UPDATE live_rooms SET stream_id = ? WHERE id = ?", [stream_id, room_id])
        audit.append(
            db, actor, "room.start", f"anchor:{anchor_id}",
            {"room_id": room_id, "stream_id": stream_id, "owner_key_id": owner_key_id,
             "source": _without_query(source_url) if source_url else "push"},
        )  # fmt: skip
    return room_id, stream_id


def mark_stopped(
    db: sqlite_utils.Database,
    room_id: int,
    anchor_id: str,
    state: str,
    error: str | None,
    actor: str,
) -> None:
    """Record that an active room stopped (`state`: stopped, ended, failed, interrupted), audited
    as `actor`'s; a room no longer active is left as it is."""
    with transaction(db):
        stopped = db.execute(
            "UPDATE live_rooms SET state = ?, stopped_at = ?, error = ? "
            "WHERE id = ? AND state = 'active'",
            [state, now_iso(), error, room_id],
        ).rowcount
        if stopped:
            _audit_stop(db, actor, room_id, anchor_id, state, error)


def stop_active(
    db: sqlite_utils.Database, room_id: int, state: str, error: str | None, actor: str
) -> bool:
    """`mark_stopped` with the room's `stopped` event, in one transaction, for a room held by a
    worker; False (and nothing changes) when the room was no longer active."""
    with transaction(db):
        active = db.execute(
            "SELECT anchor_id FROM live_rooms WHERE id = ? AND state = 'active'", [room_id]
        ).fetchone()
        if active:
            add_event(db, room_id, "stopped", {"detail": {"state": state}})
            mark_stopped(db, room_id, active[0], state, error, actor)
    return bool(active)


def count_result(
    db: sqlite_utils.Database, room_id: int, audio_s: float, segments: int, flags: int
) -> None:
    """Add a result's segments and flags to the room's counts, and how much audio it heard (never
    less than it had: a worker that took the room over counts from where the store was)."""
    db.execute(
        "UPDATE live_rooms SET audio_s = MAX(audio_s, ?), segments = segments + ?, flags = flags + ? "
        "WHERE id = ?",
        [round(audio_s, 3), segments, flags, room_id],
    )


def get_room(db: sqlite_utils.Database, room_id: int) -> dict[str, Any] | None:
    """The room's row with its last LAST_EVENTS events, oldest first (None if there is none)."""
    row = next(db.query("SELECT * FROM live_rooms WHERE id = ?", [room_id]), None)
    if row is None:
        return None
    row["last_events"] = list(reversed(room_events(db, room_id, None, LAST_EVENTS, newest=True)))
    return row


def room_ids(
    db: sqlite_utils.Database, owner_key_id: int | None = None, anchor_id: str | None = None
) -> list[int]:
    """The newest 200 rooms' ids, newest first, of one key or anchor when given."""
    clause, params = where_equal(("owner_key_id", owner_key_id), ("anchor_id", anchor_id))
    sql = f"SELECT id FROM live_rooms {clause} ORDER BY id DESC LIMIT 200"
    return [r[0] for r in db.execute(sql, params)]


def active_room_ids(db: sqlite_utils.Database) -> list[int]:
    """Every active room's id, oldest first: the rooms a broker must hold (issue 15)."""
    return [
        r[0] for r in db.execute("SELECT id FROM live_rooms WHERE state = 'active' ORDER BY id")
    ]


def add_event(
    db: sqlite_utils.Database, room_id: int, kind: str, body: dict, result_key: str | None = None
) -> dict:
    """Append the room's next numbered event; returns it as the events list shows it.
    `result_key` names a result a worker posted (one event per key: see `event_for_key`)."""
    seq = db.execute(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM live_events WHERE room_id = ?", [room_id]
    ).fetchone()[0]
    at = now_iso()
    db.execute(
        "INSERT INTO live_events (room_id, seq, at, type, payload, result_key) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [room_id, seq, at, kind, json.dumps(body, ensure_ascii=False), result_key],
    )
    return {"seq": seq, "at": at, "type": kind, **body}


def event_for_key(db: sqlite_utils.Database, room_id: int, result_key: str) -> int | None:
    """The number of the room's event recorded under `result_key`, if one was."""
    row = db.execute(
        "SELECT seq FROM live_events WHERE room_id = ? AND result_key = ?", [room_id, result_key]
    ).fetchone()
    return row[0] if row else None


def set_worker(db: sqlite_utils.Database, room_id: int, worker: str) -> dict | None:
    """`worker` holds the room now (issue 15): it was seen now, and when it is not the worker the
    room had, the room records it with a `worker` event naming the previous one. The `worker`
    event, or None when the worker did not change."""
    with transaction(db):
        row = db.execute("SELECT worker FROM live_rooms WHERE id = ?", [room_id]).fetchone()
        if row is None:
            return None
        db.execute(
            "UPDATE live_rooms SET worker = ?, worker_seen_at = ? WHERE id = ?",
            [worker, now_iso(), room_id],
        )
        if row[0] == worker:
            return None
        return add_event(db, room_id, "worker", {"worker": worker, "previous": row[0]})


def room_state(db: sqlite_utils.Database, room_id: int) -> str | None:
    """The room's state alone (None: no such room), for checks on every push."""
    row = db.execute("SELECT state FROM live_rooms WHERE id = ?", [room_id]).fetchone()
    return row[0] if row else None


def recorded_worker(db: sqlite_utils.Database, room_id: int) -> str | None:
    """The worker the store records as holding the room (the last to fetch it)."""
    row = db.execute("SELECT worker FROM live_rooms WHERE id = ?", [room_id]).fetchone()
    return row[0] if row else None


def store_position(
    db: sqlite_utils.Database, room_id: int, position: dict[str, Any], audio_s: float
) -> None:
    """Where a worker that takes the room over resumes (`sequence`, `origin`, `stream_s`,
    `input_entry`; a None keeps the stored value) and how much audio the room heard; its worker
    was seen now. Part of the caller's transaction with the results it covers."""
    db.execute(
        "UPDATE live_rooms SET resume_sequence = COALESCE(?, resume_sequence), "
        "resume_origin = COALESCE(?, resume_origin), resume_s = COALESCE(?, resume_s), "
        "input_entry = COALESCE(?, input_entry), audio_s = MAX(audio_s, ?), "
        "worker_seen_at = ? WHERE id = ?",
        [position.get("sequence"), position.get("origin"), position.get("stream_s"),
         position.get("input_entry"), round(audio_s, 3), now_iso(), room_id],
    )  # fmt: skip


def active_room_owners(db: sqlite_utils.Database) -> list[tuple[int, str]]:
    """The (key id, key role) that opened each active room: what the room quotas count."""
    return [
        (key_id, role)
        for key_id, role in db.execute(
            "SELECT r.owner_key_id, k.role FROM live_rooms r JOIN api_keys k "
            "ON k.id = r.owner_key_id WHERE r.state = 'active'"
        )
    ]


def active_rooms_last_heard(db: sqlite_utils.Database) -> list[tuple[int, str, str]]:
    """Every active room's (id, anchor, last time it was heard from: its start or its worker's
    last fetch or post, whichever is later), for the idle timeout of rooms held by workers."""
    return [
        (room_id, anchor_id, heard)
        for room_id, anchor_id, heard in db.execute(
            "SELECT id, anchor_id, MAX(started_at, COALESCE(worker_seen_at, started_at)) "
            "FROM live_rooms WHERE state = 'active' ORDER BY id"
        )
    ]


def room_events(
    db: sqlite_utils.Database, room_id: int, after: int | None, limit: int, *, newest: bool
) -> list[dict]:
    """The room's events after number `after`, oldest first (newest first when `newest`)."""
    order = "DESC" if newest else "ASC"
    rows = db.execute(
        f"SELECT seq, at, type, payload FROM live_events WHERE room_id = ? AND seq > ? "
        f"ORDER BY seq {order} LIMIT ?",
        [room_id, after or 0, limit],
    ).fetchall()
    return [{"seq": s, "at": at, "type": t, **json.loads(p)} for s, at, t, p in rows]


def _audit_stop(db, actor: str, room_id: int, anchor_id: str, state: str, error) -> None:
    detail = {"room_id": room_id, "state": state, "error": error}
    audit.append(db, actor, "room.stop", f"anchor:{anchor_id}", detail)


def _without_query(url: str) -> str:
    """A watched address as the audit log keeps it: no query or fragment (they may hold tokens)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))

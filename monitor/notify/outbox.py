"""The webhook outbox: `enqueue_event` writes one delivery row per matching active subscription
inside the caller's transaction, so an event exists exactly when the change that caused it
commits; the delivery worker (notify/delivery.py), woken in this process, sends it. Reading a
subscription's deliveries with their attempts. No network I/O."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import sqlite_utils

from monitor.errors import InputError
from monitor.notify.webhooks import EVENT_TYPES, PING
from monitor.store.db import now_iso, transaction

_wakers: set[threading.Event] = set()
_wakers_lock = threading.Lock()


def enqueue_event(
    db: sqlite_utils.Database, event_type: str, anchor_id: str | None, payload: dict[str, Any]
) -> list[int]:
    """Record `event_type` about `anchor_id` for every active subscription that wants it (a
    subscription naming a platform: only anchors with an account there); returns the delivery
    ids. Part of the caller's transaction if one is open, else committed here."""
    if event_type not in EVENT_TYPES:
        raise InputError(
            f"未知事件类型 / unknown event type {event_type!r} (known: {', '.join(EVENT_TYPES)})"
        )
    with transaction(db):
        matching = [
            row["id"]
            for row in db.query(
                "SELECT s.id, s.events FROM webhook_subscriptions s "
                "WHERE s.deactivated_at IS NULL AND (s.platform IS NULL OR EXISTS ("
                "SELECT 1 FROM platform_accounts p WHERE p.anchor_id = ? AND p.platform = s.platform"
                ")) ORDER BY s.id",
                [anchor_id],
            )
            if event_type in json.loads(row["events"])
        ]
        ids = _insert_deliveries(db, matching, event_type, anchor_id, payload)
    if ids:
        wake_workers()
    return ids


def enqueue_ping(db: sqlite_utils.Database, subscription_id: int) -> int:
    """A `ping` event for one subscription (active or not: the caller decides), to test it."""
    with transaction(db):
        (delivery_id,) = _insert_deliveries(
            db, [subscription_id], PING, None, {"subscription_id": subscription_id}
        )
    wake_workers()
    return delivery_id


def list_deliveries(
    db: sqlite_utils.Database, subscription_id: int, status: str | None = None, limit: int = 100
) -> list[dict]:
    """A subscription's deliveries, newest first, each with its attempts."""
    where = "subscription_id = ?"
    params: list[Any] = [subscription_id]
    if status == "pending":
        where += " AND status IN ('pending', 'sending')"
    elif status:
        where += " AND status = ?"
        params.append(status)
    return _deliveries(db, where, [*params, limit])


def get_delivery(db: sqlite_utils.Database, delivery_id: int) -> dict | None:
    found = _deliveries(db, "id = ?", [delivery_id, 1])
    return found[0] if found else None


def _deliveries(db: sqlite_utils.Database, where: str, params: list[Any]) -> list[dict]:
    rows = list(
        db.query(f"SELECT * FROM webhook_deliveries WHERE {where} ORDER BY id DESC LIMIT ?", params)
    )
    attempts: dict[int, list[dict]] = {row["id"]: [] for row in rows}
    if rows:
        marks = ", ".join("?" * len(rows))
        for attempt in db.query(
            f"SELECT delivery_id, attempt, at, http_status, error, duration_ms "
            f"FROM webhook_attempts WHERE delivery_id IN ({marks}) ORDER BY delivery_id, attempt",
            list(attempts),
        ):
            attempts[attempt.pop("delivery_id")].append(attempt)
    return [_delivery(row, attempts[row["id"]]) for row in rows]


def _insert_deliveries(
    db: sqlite_utils.Database,
    subscription_ids: list[int],
    event_type: str,
    anchor_id: str | None,
    data: dict[str, Any],
) -> list[int]:
    if not subscription_ids:
        return []
    event_id = "evt_" + uuid.uuid4().hex
    created = now_iso()
    body = json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "created_at": created,
            "anchor_id": anchor_id,
            "data": data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    due = iso_ms(time.time())
    return [
        db["webhook_deliveries"]
        .insert(
            {
                "subscription_id": subscription_id,
                "event_id": event_id,
                "event_type": event_type,
                "anchor_id": anchor_id,
                "body": body,
                "created_at": created,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": due,
            }
        )
        .last_pk
        for subscription_id in subscription_ids
    ]


# -- waking the worker in this process ------------------------------------------------------------


def add_waker(event: threading.Event) -> None:
    """Have `event` set whenever a delivery is enqueued in this process."""
    with _wakers_lock:
        _wakers.add(event)


def remove_waker(event: threading.Event) -> None:
    with _wakers_lock:
        _wakers.discard(event)


def wake_workers() -> None:
    with _wakers_lock:
        for event in _wakers:
            event.set()


def iso_ms(timestamp: float) -> str:
    """Unix time as ISO-8601 UTC with milliseconds and a Z (sorts as text)."""
    whole, fraction = divmod(round(timestamp * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{fraction:03d}Z"


def _delivery(row: dict, attempts: list[dict]) -> dict:
    status = "pending" if row["status"] == "sending" else row["status"]
    return {
        "id": row["id"],
        "subscription_id": row["subscription_id"],
        "event_id": row["event_id"],
        "event": row["event_type"],
        "anchor_id": row["anchor_id"],
        "status": status,
        "created_at": row["created_at"],
        "attempt_count": row["attempts"],
        "attempts": attempts,
        "next_attempt_at": row["next_attempt_at"] if status == "pending" else None,
        "delivered_at": row["delivered_at"],
        "last_error": row["last_error"],
        "payload": json.loads(row["body"]),
    }

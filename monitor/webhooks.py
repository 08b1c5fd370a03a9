"""Webhooks for platforms: subscriptions, the outbox (`enqueue_event`) and signatures.

`enqueue_event` writes one delivery row per matching active subscription inside the caller's
transaction, so an event exists exactly when the change that caused it commits; the delivery
worker (`monitor.webhook_delivery`) sends it. This module does no network I/O besides resolving
a subscription's host name to check that it is public.

A receiver checks `X-Qinglang-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
"<t>.<raw body>")>` with `verify_signature`, which needs only the standard library: copy it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from typing import Any

import sqlite_utils

from .db import now_iso, transaction
from .errors import InputError
from .url_policy import Resolver, Target, check_source, check_target

EVENT_TYPES = ("anchor.eligibility_changed", "live.block")
PING = "ping"  # sent only on request, to one subscription; not subscribable
WEBHOOK_SCHEMES = ("http", "https")
ALLOW_SETTING = "QINGLANG_WEBHOOK_ALLOW"
SECRET_PREFIX = "whsec_"
SIGNATURE_TOLERANCE_SECONDS = 300
_PLATFORM = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_COLUMNS = "id, url, events, platform, owner_key_id, description, created_at, deactivated_at"

_wakers: set[threading.Event] = set()
_wakers_lock = threading.Lock()


# -- subscriptions --------------------------------------------------------------------------------


def check_webhook_url(url: str, allow: str = "") -> str:
    """`url` if deliveries may be POSTed to it (http/https to a public host, or one `allow`
    names), else an InputError saying why."""
    return check_source(url, allow, schemes=WEBHOOK_SCHEMES, allow_setting=ALLOW_SETTING)


def check_webhook_target(url: str, allow: str = "", resolve: Resolver | None = None) -> Target:
    """`url` checked as for `check_webhook_url`, with the address to connect to."""
    return check_target(
        url, allow, schemes=WEBHOOK_SCHEMES, allow_setting=ALLOW_SETTING, resolve=resolve
    )


def create_subscription(
    db: sqlite_utils.Database,
    url: str,
    events: list[str],
    *,
    owner_key_id: int | None,
    platform: str | None = None,
    description: str = "",
    allow: str = "",
    max_per_owner: int | None = None,
) -> dict:
    """A new active subscription; the returned dict carries the `secret`, shown this once."""
    url = check_webhook_url(url.strip(), allow)
    chosen = _event_types(events)
    platform = _platform(platform)
    with transaction(db):
        if max_per_owner is not None:
            held = db.execute(
                "SELECT COUNT(*) FROM webhook_subscriptions WHERE owner_key_id IS ? "
                "AND deactivated_at IS NULL",
                [owner_key_id],
            ).fetchone()[0]
            if held >= max_per_owner:
                raise InputError(
                    f"订阅数已达上限 / this key already holds {held} active webhooks "
                    f"(max_subscriptions_per_key: {max_per_owner}); delete one first"
                )
        row = {
            "url": url,
            "events": json.dumps(chosen),
            "platform": platform,
            "secret": SECRET_PREFIX + secrets.token_urlsafe(32),
            "owner_key_id": owner_key_id,
            "description": description.strip(),
            "created_at": now_iso(),
            "deactivated_at": None,
        }
        subscription_id = db["webhook_subscriptions"].insert(row).last_pk
    return {**_public(dict(row, id=subscription_id)), "secret": row["secret"]}


def list_subscriptions(db: sqlite_utils.Database, owner_key_id: int | None = None) -> list[dict]:
    """Every subscription, or only those of `owner_key_id`; newest first; no secrets."""
    where, params = ("WHERE owner_key_id = ?", [owner_key_id]) if owner_key_id else ("", [])
    rows = db.query(
        f"SELECT {_COLUMNS} FROM webhook_subscriptions {where} ORDER BY id DESC", params
    )
    return [_public(row) for row in rows]


def get_subscription(db: sqlite_utils.Database, subscription_id: int) -> dict | None:
    row = next(
        db.query(f"SELECT {_COLUMNS} FROM webhook_subscriptions WHERE id = ?", [subscription_id]),
        None,
    )
    return _public(row) if row else None


def deactivate_subscription(db: sqlite_utils.Database, subscription_id: int) -> dict | None:
    """Stop sending to a subscription (its pending deliveries fail); its history is kept."""
    with transaction(db):
        found = get_subscription(db, subscription_id)
        if found is None or not found["active"]:
            return found
        at = now_iso()
        db.execute(
            "UPDATE webhook_subscriptions SET deactivated_at = ? WHERE id = ?",
            [at, subscription_id],
        )
        db.execute(
            "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, "
            "last_error = ? WHERE subscription_id = ? AND status IN ('pending', 'sending')",
            ["订阅已停用 / subscription deactivated", subscription_id],
        )
    return get_subscription(db, subscription_id)


# -- the outbox -----------------------------------------------------------------------------------


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


# -- signatures -----------------------------------------------------------------------------------


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The `X-Qinglang-Signature` header value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True if `header` (X-Qinglang-Signature) signs the raw `body` with `secret` and its time is
    within `tolerance` seconds of `now` (an old signature may be a replay)."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).rsplit("v1=", 1)[1]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


# -- helpers --------------------------------------------------------------------------------------


def iso_ms(timestamp: float) -> str:
    """Unix time as ISO-8601 UTC with milliseconds and a Z (sorts as text)."""
    whole, fraction = divmod(round(timestamp * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{fraction:03d}Z"


def _event_types(events: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(e.strip() for e in events))
    unknown = [e for e in chosen if e not in EVENT_TYPES]
    if not chosen or unknown:
        raise InputError(
            f"未知或缺少事件类型 / unknown or missing event types {unknown or chosen} "
            f"(known: {', '.join(EVENT_TYPES)})"
        )
    return chosen


def _platform(platform: str | None) -> str | None:
    if platform is None or not platform.strip():
        return None
    name = platform.strip().lower()
    if not _PLATFORM.match(name):
        raise InputError(
            f"平台名称无效 / invalid platform name {platform!r} "
            "(lower-case letters, digits, '_', '.', '-'; at most 64)"
        )
    return name


def _public(row: dict) -> dict:
    return {
        "id": row["id"],
        "url": row["url"],
        "events": json.loads(row["events"]),
        "platform": row["platform"],
        "owner_key_id": row["owner_key_id"],
        "description": row["description"],
        "active": row["deactivated_at"] is None,
        "created_at": row["created_at"],
        "deactivated_at": row["deactivated_at"],
    }


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

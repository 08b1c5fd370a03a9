"""Webhook subscriptions of platforms: the events they may subscribe to, checking a receiver's
URL, and creating, listing and deactivating subscriptions. Enqueuing events is the outbox
(notify/outbox.py), signing them notify/signatures.py, sending them notify/delivery.py. This
module does no network I/O besides resolving a subscription's host name to check that it is
public.
"""

from __future__ import annotations

import json
import re
import secrets

import sqlite_utils

from monitor.errors import InputError
from monitor.live.url_policy import Resolver, Target, check_source, check_target
from monitor.store.db import now_iso, transaction

EVENT_TYPES = ("anchor.eligibility_changed", "live.block")
PING = "ping"  # sent only on request, to one subscription; not subscribable
WEBHOOK_SCHEMES = ("http", "https")
ALLOW_SETTING = "QINGLANG_WEBHOOK_ALLOW"
SECRET_PREFIX = "whsec_"
_PLATFORM = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_COLUMNS = "id, url, events, platform, owner_key_id, description, created_at, deactivated_at"


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


# -- helpers --------------------------------------------------------------------------------------


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

"""Web UI sessions: a random session id that stands for an API key until it expires or is
revoked (logout, or the key's own revocation).

The browser holds only the session id; the store keeps its SHA-256, the key it maps to and a
CSRF token of its own (random, so two sessions of one key have different tokens). Ids are random
(32 bytes), so a plain hash is enough. This module must never log or return a session id after
`open_session`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from monitor.store.api_keys import Principal, hash_key
from monitor.store.db import now_iso, transaction


@dataclass(frozen=True)
class UiSession:
    """Who a session stands for and the CSRF token its forms must carry."""

    principal: Principal
    csrf: str


def open_session(db: sqlite_utils.Database, key_id: int, lifetime: timedelta) -> str:
    """A new session of key `key_id`, valid for `lifetime`; returns its id (shown only here)."""
    session_id = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with transaction(db):
        # the key's expired sessions are forgotten here, so the table stays as small as its use
        db.execute(
            "DELETE FROM ui_sessions WHERE key_id = ? AND expires_at <= ?", [key_id, now_iso(now)]
        )
        db["ui_sessions"].insert(
            {
                "id_hash": hash_key(session_id),
                "key_id": key_id,
                "csrf": secrets.token_hex(32),
                "created_at": now_iso(now),
                "expires_at": now_iso(now + lifetime),
            }
        )
    return session_id


def find_session(db: sqlite_utils.Database, session_id: str) -> UiSession | None:
    """The session `session_id` stands for, or None when it is unknown, expired or revoked, or
    its key was revoked."""
    if not session_id:
        return None
    row = next(
        db.query(
            "SELECT k.id, k.role, k.anchor_id, k.label, s.csrf FROM ui_sessions s "
            "JOIN api_keys k ON k.id = s.key_id "
            "WHERE s.id_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? "
            "AND k.revoked_at IS NULL",
            [hash_key(session_id), now_iso()],
        ),
        None,
    )
    if row is None:
        return None
    return UiSession(Principal(row["id"], row["role"], row["anchor_id"], row["label"]), row["csrf"])


def revoke_session(db: sqlite_utils.Database, session_id: str) -> None:
    """End session `session_id` now (logout); an unknown id is ignored."""
    with transaction(db):
        db.execute(
            "UPDATE ui_sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
            [now_iso(), hash_key(session_id)],
        )

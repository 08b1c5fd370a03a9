"""API keys: create, revoke, list, and tell who a presented key belongs to.

A key is shown once, when it is created; the store keeps only its SHA-256 (so a stolen database
gives no usable keys) and its first characters, to tell keys apart in lists. Keys are random
(32 bytes), so a plain hash is enough: there is nothing to guess that a slow hash would protect.
This module must never log, audit or return a key after `create_key`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlite_utils

from monitor.errors import InputError
from monitor.store import audit
from monitor.store.db import now_iso, transaction
from monitor.store.registry import find_anchor
from monitor.vocabulary import KEY_ROLES
from monitor.vocabulary import ROLES as ROLES  # re-exported: the roles "any key" routes admit

KEY_PREFIX = "ql_"
SHOWN_PREFIX_CHARS = 8
_LISTED_COLUMNS = "id, prefix, role, anchor_id, label, created_at, revoked_at"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, its role, and for an anchor key the anchor it is bound to."""

    key_id: int
    role: str
    anchor_id: str | None = None
    label: str = ""

    @property
    def actor(self) -> str:
        """Who acted, as the audit log names a key holder: `key:<id>:<role>`, then the label."""
        name = f"key:{self.key_id}:{self.role}"
        return f"{name} ({self.label})" if self.label else name


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(
    db: sqlite_utils.Database,
    role: str,
    anchor_id: str | None = None,
    label: str = "",
    actor: str = "cli",
) -> tuple[int, str]:
    """A new key for `role` (an anchor key is bound to `anchor_id`, an id or PLATFORM:ACCOUNT);
    returns (key id, key). The key itself is not stored and cannot be shown again."""
    if role not in KEY_ROLES:
        raise InputError(f"未知角色 / unknown role {role!r} (known: {', '.join(KEY_ROLES)})")
    if role != "anchor" and anchor_id:
        raise InputError(
            f"只有主播密钥绑定主播 / only an anchor key is bound to an anchor, not a {role} key"
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction(db):
        if role == "anchor":
            if not anchor_id:
                raise InputError("主播密钥须指定主播 / an anchor key needs an anchor (--anchor)")
            anchor_id = find_anchor(db, anchor_id)["id"]
        record = {
            "key_hash": hash_key(key),
            "prefix": key[:SHOWN_PREFIX_CHARS],
            "role": role,
            "anchor_id": anchor_id or None,
            "label": label.strip(),
            "created_at": now_iso(),
        }
        key_id = db["api_keys"].insert(record).last_pk
        detail = {k: v for k, v in record.items() if k != "key_hash"}
        audit.append(db, actor, "key.create", f"key:{key_id}", detail)
    return key_id, key


def revoke_key(db: sqlite_utils.Database, key_id: int, actor: str = "cli") -> dict:
    """Revoke key `key_id` from now on; returns its listing."""
    with transaction(db):
        row = _listed(db, key_id)
        if row is None:
            raise InputError(f"密钥不存在 / no API key {key_id}")
        if row["revoked_at"]:
            raise InputError(
                f"密钥已吊销 / API key {key_id} was already revoked at {row['revoked_at']}"
            )
        now = now_iso()
        db.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", [now, key_id])
        # the key's web UI sessions end with it (monitor/store/ui_sessions.py)
        db.execute(
            "UPDATE ui_sessions SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
            [now, key_id],
        )
        audit.append(db, actor, "key.revoke", f"key:{key_id}", {"prefix": row["prefix"]})
        return _listed(db, key_id)


def authenticate(db: sqlite_utils.Database, key: str) -> Principal | None:
    """The principal a presented key stands for, or None for an unknown or revoked key."""
    if not key:
        return None
    row = next(
        db.query(
            "SELECT id, role, anchor_id, label FROM api_keys "
            "WHERE key_hash = ? AND revoked_at IS NULL",
            [hash_key(key)],
        ),
        None,
    )
    return Principal(row["id"], row["role"], row["anchor_id"], row["label"]) if row else None


def list_keys(db: sqlite_utils.Database) -> list[dict]:
    """Every key, oldest first, without its hash."""
    return list(db.query(f"SELECT {_LISTED_COLUMNS} FROM api_keys ORDER BY id"))


def _listed(db: sqlite_utils.Database, key_id: int) -> dict | None:
    return next(db.query(f"SELECT {_LISTED_COLUMNS} FROM api_keys WHERE id = ?", [key_id]), None)

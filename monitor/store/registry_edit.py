"""Changing and removing registry records (workshops, anchors, products), each change audited like
the adds in `registry`. A record that history refers to (streams, flags, violations, keys …) is
never removed: `ReferencedError` names what refers to it, so nothing recorded is lost."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from monitor.errors import InputError, MissingRecord
from monitor.store import audit
from monitor.store.db import transaction
from monitor.store.registry import CERTIFICATION_TYPES, find_anchor, get_product, parse_account

# Which rows refer to a record of each kind, as (table, column); removal is refused while any do.
_REFERENCES = {
    "workshops": (("anchors", "workshop_id"), ("products", "workshop_id")),
    "anchors": (
        ("streams", "anchor_id"),
        ("flags", "anchor_id"),
        ("violations", "anchor_id"),
        ("credit_repairs", "anchor_id"),
        ("blacklist_entries", "anchor_id"),
        ("scripts", "anchor_id"),
        ("api_keys", "anchor_id"),
    ),
    "products": (("streams", "product_id"), ("scripts", "product_id")),
}
_PRODUCT_FIELDS = (
    "name",
    "workshop_id",
    "product_class",
    "origin",
    "producer",
    "certifications",
    "registration_numbers",
)


class NotFoundError(InputError):
    """The record to change or remove does not exist."""


class ConflictError(InputError):
    """The change would give a platform account to a second anchor."""


class ReferencedError(InputError):
    """A record cannot be removed because other rows refer to it; `references` counts them."""

    def __init__(self, what: str, record_id: str, references: dict[str, int]):
        self.references = references
        named = ", ".join(f"{table} ({count})" for table, count in references.items())
        super().__init__(
            f"{what} {record_id} 仍被引用，不能删除 / {what} {record_id} is referenced by {named}; "
            "history is never removed"
        )


def references(db: sqlite_utils.Database, table: str, record_id: str) -> dict[str, int]:
    """Rows referring to `record_id` of `table` (workshops, anchors, products), by table."""
    found = {}
    for other, column in _REFERENCES[table]:
        count = db[other].count_where(f"{column} = ?", [record_id])
        if count:
            found[other] = count
    return found


def update_workshop(
    db: sqlite_utils.Database,
    workshop_id: str,
    *,
    name: str | None = None,
    region: str | None = None,
    actor: str = "cli",
) -> dict:
    changes = {}
    if name is not None:
        changes["name"] = _text(name, "name")
    if region is not None:
        changes["region"] = region.strip()
    with transaction(db):
        before = _row(db, "workshops", workshop_id, "工坊", "workshop")
        return _apply(db, "workshops", before, changes, actor, "workshop")


def update_anchor(
    db: sqlite_utils.Database,
    anchor_id: str,
    *,
    changes: dict[str, Any],
    add_accounts: list[str] = (),
    remove_accounts: list[str] = (),
    actor: str = "cli",
) -> dict:
    """Change `name` and/or `workshop_id` (None: no workshop) given in `changes`; add and remove
    platform accounts. Returns the anchor as `registry.find_anchor` gives it."""
    unknown = set(changes) - {"name", "workshop_id"}
    if unknown:
        raise InputError(f"不能修改 / cannot change {', '.join(sorted(unknown))}")
    changes = dict(changes)
    if "name" in changes:
        changes["name"] = _text(changes["name"], "name")
    added = [parse_account(a) for a in add_accounts]
    removed = [parse_account(a) for a in remove_accounts]
    with transaction(db):
        before = _row(db, "anchors", anchor_id, "主播", "anchor")
        _workshop_exists(db, changes.get("workshop_id"))
        for platform, account in removed:
            gone = db.execute(
                "DELETE FROM platform_accounts WHERE platform = ? AND account = ? AND anchor_id = ?",
                [platform, account, anchor_id],
            ).rowcount
            if not gone:
                raise MissingRecord(
                    f"主播 {anchor_id} 没有账号 {platform}:{account} / anchor {anchor_id} has no "
                    f"account {platform}:{account}"
                )
        for platform, account in added:
            owner = db.execute(
                "SELECT anchor_id FROM platform_accounts WHERE platform = ? AND account = ?",
                [platform, account],
            ).fetchone()
            if owner is not None:
                raise ConflictError(
                    f"平台账号 {platform}:{account} 已登记 / account {platform}:{account} is "
                    f"already registered (anchor {owner[0]})"
                )
            db["platform_accounts"].insert(
                {"platform": platform, "account": account, "anchor_id": anchor_id}
            )
        accounts = {
            "accounts_added": [f"{p}:{a}" for p, a in added],
            "accounts_removed": [f"{p}:{a}" for p, a in removed],
        }
        _apply(db, "anchors", before, changes, actor, "anchor", accounts)
        return find_anchor(db, anchor_id)


def update_product(
    db: sqlite_utils.Database, product_id: str, *, changes: dict[str, Any], actor: str = "cli"
) -> dict:
    """Change any of the product's registered fields given in `changes` (as `add_product` takes
    them). Returns the product as `registry.get_product` gives it."""
    unknown = set(changes) - set(_PRODUCT_FIELDS)
    if unknown:
        raise InputError(f"不能修改 / cannot change {', '.join(sorted(unknown))}")
    values = dict(changes)
    if "name" in values:
        values["name"] = _text(values["name"], "name")
    for field in ("origin", "producer"):
        if field in values:
            values[field] = (values[field] or "").strip()
    if "product_class" in values:
        values["product_class"] = _text(values["product_class"], "product_class")
    if "certifications" in values:
        for cert in values["certifications"]:
            if cert.get("type") not in CERTIFICATION_TYPES:
                raise InputError(
                    f"未知认证类型 / unknown certification type {cert.get('type')!r} "
                    f"(known: {', '.join(CERTIFICATION_TYPES)})"
                )
        values["certifications"] = json.dumps(list(values["certifications"]), ensure_ascii=False)
    if "registration_numbers" in values:
        values["registration_numbers"] = json.dumps(
            list(values["registration_numbers"]), ensure_ascii=False
        )
    with transaction(db):
        before = _row(db, "products", product_id, "产品", "product")
        _workshop_exists(db, values.get("workshop_id"))
        _apply(db, "products", before, values, actor, "product")
        return get_product(db, product_id)


def delete_workshop(db: sqlite_utils.Database, workshop_id: str, actor: str = "cli") -> None:
    _delete(db, "workshops", workshop_id, "工坊", "workshop", actor)


def delete_anchor(db: sqlite_utils.Database, anchor_id: str, actor: str = "cli") -> None:
    """Remove an anchor no history refers to, with its platform accounts and derived credit."""
    _delete(db, "anchors", anchor_id, "主播", "anchor", actor)


def delete_product(db: sqlite_utils.Database, product_id: str, actor: str = "cli") -> None:
    _delete(db, "products", product_id, "产品", "product", actor)


def _delete(db, table: str, record_id: str, zh: str, en: str, actor: str) -> None:
    with transaction(db):
        before = _row(db, table, record_id, zh, en)
        found = references(db, table, record_id)
        if found:
            raise ReferencedError(en, record_id, found)
        detail = dict(before)
        if table == "anchors":
            detail["accounts"] = [
                f"{r['platform']}:{r['account']}"
                for r in db.query(
                    "SELECT platform, account FROM platform_accounts WHERE anchor_id = ?",
                    [record_id],
                )
            ]
            db.execute("DELETE FROM platform_accounts WHERE anchor_id = ?", [record_id])
            db.execute("DELETE FROM credit_state WHERE anchor_id = ?", [record_id])
        db.execute(f"DELETE FROM {table} WHERE id = ?", [record_id])
        audit.append(db, actor, f"{en}.delete", f"{en}:{record_id}", detail)


def _apply(
    db, table: str, before: dict, changes: dict, actor: str, en: str, extra: dict | None = None
) -> dict:
    """Write `changes` to the row and audit what changed (old and new values)."""
    changed = {k: [before[k], v] for k, v in changes.items() if before[k] != v}
    if changes:
        db[table].update(before["id"], changes)
    if changed or any((extra or {}).values()):
        audit.append(
            db, actor, f"{en}.update", f"{en}:{before['id']}", {**changed, **(extra or {})}
        )
    return {**before, **changes}


def _row(db, table: str, record_id: str, zh: str, en: str) -> dict:
    row = next(db.query(f"SELECT * FROM {table} WHERE id = ?", [record_id]), None)
    if row is None:
        raise NotFoundError(f"{zh}不存在 / no {en} {record_id}")
    return row


def _workshop_exists(db, workshop_id: str | None) -> None:
    if workshop_id and not db["workshops"].count_where("id = ?", [workshop_id]):
        raise MissingRecord(f"工坊不存在 / no workshop {workshop_id}")


def _text(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InputError(f"{what} 不能为空 / {what} must not be empty")
    return value

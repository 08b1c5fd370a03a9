"""Who and what is monitored: workshops (共富工坊), anchors with their platform accounts, and
products with their registered origin and certifications. Adds, lookups and CSV import.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.errors import InputError, MissingRecord, StateConflict
from monitor.ids import invisible_problem, registry_id
from monitor.store import audit
from monitor.store.db import now_iso, transaction
from monitor.vocabulary import CERTIFICATION_TYPES


def add_workshop(
    db: sqlite_utils.Database, workshop_id: str, name: str, region: str = "", actor: str = "cli"
) -> dict:
    record = {
        "id": registry_id(workshop_id, "workshop"),
        "name": _text(name, "name"),
        "region": region.strip(),
        "created_at": now_iso(),
    }
    with transaction(db):
        _insert(
            db,
            "workshops",
            record,
            f"工坊 {workshop_id} 已存在 / workshop {workshop_id} already exists",
        )
        audit.append(db, actor, "workshop.add", f"workshop:{workshop_id}", record)
    return record


def add_anchor(
    db: sqlite_utils.Database,
    anchor_id: str,
    name: str,
    workshop_id: str | None = None,
    accounts: list[str] = (),
    actor: str = "cli",
) -> dict:
    record = {
        "id": registry_id(anchor_id, "anchor"),
        "name": _text(name, "name"),
        "workshop_id": workshop_id or None,
        "created_at": now_iso(),
    }
    parsed = [parse_account(a) for a in accounts]
    with transaction(db):
        if workshop_id and not db["workshops"].count_where("id = ?", [workshop_id]):
            raise MissingRecord(f"工坊不存在 / no workshop {workshop_id}")
        _insert(
            db, "anchors", record, f"主播 {anchor_id} 已存在 / anchor {anchor_id} already exists"
        )
        for platform, account in parsed:
            _insert(
                db,
                "platform_accounts",
                {"platform": platform, "account": account, "anchor_id": anchor_id},
                f"平台账号 {platform}:{account} 已登记 / account {platform}:{account} is already registered",
            )
        audit.append(
            db,
            actor,
            "anchor.add",
            f"anchor:{anchor_id}",
            {**record, "accounts": [f"{p}:{a}" for p, a in parsed]},
        )
    return record


def add_product(
    db: sqlite_utils.Database,
    product_id: str,
    name: str,
    *,
    workshop_id: str | None = None,
    product_class: str = "food",
    origin: str = "",
    producer: str = "",
    certifications: list[dict] = (),
    registration_numbers: list[str] = (),
    actor: str = "cli",
) -> dict:
    for cert in certifications:
        if cert.get("type") not in CERTIFICATION_TYPES:
            raise InputError(
                f"未知认证类型 / unknown certification type {cert.get('type')!r} "
                f"(known: {', '.join(CERTIFICATION_TYPES)})"
            )
    record = {
        "id": registry_id(product_id, "product"),
        "name": _text(name, "name"),
        "workshop_id": workshop_id or None,
        "product_class": product_class,
        "origin": origin.strip(),
        "producer": producer.strip(),
        "certifications": json.dumps(list(certifications), ensure_ascii=False),
        "registration_numbers": json.dumps(list(registration_numbers), ensure_ascii=False),
        "created_at": now_iso(),
    }
    with transaction(db):
        if workshop_id and not db["workshops"].count_where("id = ?", [workshop_id]):
            raise MissingRecord(f"工坊不存在 / no workshop {workshop_id}")
        _insert(
            db,
            "products",
            record,
            f"产品 {product_id} 已存在 / product {product_id} already exists",
        )
        audit.append(db, actor, "product.add", f"product:{product_id}", record)
    return record


def parse_account(text: str) -> tuple[str, str]:
    platform, sep, account = text.partition(":")
    if not sep or not platform.strip() or not account.strip():
        raise InputError(
            f"平台账号格式应为 平台:账号 / a platform account is PLATFORM:ACCOUNT, got {text!r}"
        )
    if (problem := invisible_problem(text)) is not None:
        raise InputError(f"account {text!r}: {problem}")
    return platform.strip().lower(), account.strip()


def find_anchor(db: sqlite_utils.Database, reference: str) -> dict:
    """An anchor by id, or by platform account written PLATFORM:ACCOUNT."""
    row = lookup_anchor(db, reference)
    if row is None:
        raise InputError(f"主播不存在 / no anchor {reference}")
    return row


def lookup_anchor(db: sqlite_utils.Database, reference: str) -> dict | None:
    """As `find_anchor`, but None when no anchor has that id or account (a malformed account is
    still an InputError)."""
    row = next(db.query("SELECT * FROM anchors WHERE id = ?", [reference]), None)
    if row is None and ":" in reference:
        platform, account = parse_account(reference)
        row = next(
            db.query(
                "SELECT anchors.* FROM anchors JOIN platform_accounts ON anchors.id = anchor_id "
                "WHERE platform = ? AND account = ?",
                [platform, account],
            ),
            None,
        )
    if row is None:
        return None
    row["accounts"] = [
        f"{r['platform']}:{r['account']}"
        for r in db.query(
            "SELECT * FROM platform_accounts WHERE anchor_id = ? ORDER BY platform, account",
            [row["id"]],
        )
    ]
    return row


def get_workshop(db: sqlite_utils.Database, workshop_id: str) -> dict | None:
    return next(db.query("SELECT * FROM workshops WHERE id = ?", [workshop_id]), None)


def id_names(db: sqlite_utils.Database, table: str) -> list[dict]:
    """`id` and `name` of every workshop or anchor (`table`), by id: what a picker offers."""
    if table not in ("workshops", "anchors"):
        raise ValueError(f"no id/name list for {table!r}")
    return list(db.query(f"SELECT id, name FROM {table} ORDER BY id"))


def get_product(db: sqlite_utils.Database, product_id: str) -> dict:
    row = next(db.query("SELECT * FROM products WHERE id = ?", [product_id]), None)
    if row is None:
        raise MissingRecord(f"产品不存在 / no product {product_id}")
    row["certifications"] = json.loads(row["certifications"])
    row["registration_numbers"] = json.loads(row["registration_numbers"])
    return row


# --- CSV import -----------------------------------------------------------------------------

_KINDS = {
    "workshops": {"id", "name"},
    "anchors": {"id", "name"},
    "products": {"id", "name"},
}


def import_csv(
    db: sqlite_utils.Database, path: str | Path, kind: str | None = None, actor: str = "cli"
) -> tuple[str, int]:
    """Import workshops, anchors or products from a UTF-8 CSV with a header row; all rows or none.

    anchors: id,name[,workshop][,accounts]  (accounts: `douyin:abc;kuaishou:xyz`)
    workshops: id,name[,region]
    products: id,name[,workshop][,product_class][,origin][,producer][,certifications][,registration_numbers]
      (certifications: `organic:NUMBER;green_food:NUMBER`; registration_numbers: `;`-separated)
    The kind is taken from the file name (anchors.csv …) unless given.
    """
    path = Path(path)
    kind = kind or next((k for k in _KINDS if path.stem.lower().startswith(k.rstrip("s"))), None)
    if kind not in _KINDS:
        raise InputError(
            f"{path}: 无法判断导入类型 / say what the file holds: --kind workshops|anchors|products"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: 文件不存在 / no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: CSV 须为 UTF-8 编码 / the CSV must be UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    header = {h.strip() for h in reader.fieldnames or []}
    if missing := _KINDS[kind] - header:
        raise InputError(f"{path}: 缺少列 / missing columns: {', '.join(sorted(missing))}")
    count = 0
    with transaction(db):
        for number, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            try:
                _import_row(db, kind, row, actor)
            except InputError as exc:
                raise InputError(f"{path}: 第 {number} 行 / line {number}: {exc}") from None
            count += 1
    return kind, count


def _import_row(db: sqlite_utils.Database, kind: str, row: dict[str, str], actor: str) -> None:
    if kind == "workshops":
        add_workshop(db, row["id"], row["name"], row.get("region", ""), actor)
    elif kind == "anchors":
        accounts = [a for a in row.get("accounts", "").split(";") if a.strip()]
        add_anchor(db, row["id"], row["name"], row.get("workshop") or None, accounts, actor)
    else:
        certs = []
        for item in filter(None, (c.strip() for c in row.get("certifications", "").split(";"))):
            cert_type, _, number = item.partition(":")
            certs.append({"type": cert_type.strip(), "number": number.strip()})
        add_product(
            db,
            row["id"],
            row["name"],
            workshop_id=row.get("workshop") or None,
            product_class=row.get("product_class") or "food",
            origin=row.get("origin", ""),
            producer=row.get("producer", ""),
            certifications=certs,
            registration_numbers=[
                r.strip() for r in row.get("registration_numbers", "").split(";") if r.strip()
            ],
            actor=actor,
        )


def _insert(db: sqlite_utils.Database, table: str, record: dict[str, Any], duplicate: str) -> None:
    try:
        db[table].insert(record)
    except sqlite3.IntegrityError as exc:
        if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
            raise StateConflict(duplicate) from None
        raise InputError(f"数据不符合约束 / {table}: {exc}") from None


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InputError(f"{what} 不能为空 / {what} must not be empty")
    return value

"""The SQLite store: opened through sqlite-utils with WAL, foreign keys and full fsync, upgraded by
the numbered SQL files in `monitor/store/migrations/`, written in short IMMEDIATE transactions.

A write the caller is told succeeded has been committed with `synchronous=FULL`: it survives the
process being killed or the machine losing power.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from monitor.errors import InputError, QinglangError

T = TypeVar("T")
R = TypeVar("R")

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# How long a write waits for another writer: Settings.db_busy_timeout_seconds' default.
BUSY_TIMEOUT_S = 10.0
BUSY_RETRY_AFTER_S = 5  # what a caller refused for a busy store is told to wait
WRITE_BATCH_ROWS = 500  # rows per transaction when storing a long upload
# Between two batches: longer than SQLite's busy handler sleeps between tries (100 ms at most),
# so that a writer waiting for the lock gets it instead of the next batch.
BATCH_PAUSE_S = 0.11
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


class StoreError(QinglangError):
    """The database cannot be opened, is newer than this program, or a write broke a rule."""


def open_db(
    path: str | Path, migrate: bool = True, busy_timeout_s: float = BUSY_TIMEOUT_S
) -> sqlite_utils.Database:
    """The database at `path` (created if missing), upgraded to the current schema; a write
    waits up to `busy_timeout_s` for another writer before SQLite gives up ("database is
    locked", see `is_busy`)."""
    try:
        db = sqlite_utils.Database(
            sqlite3.connect(str(path), timeout=busy_timeout_s, check_same_thread=False)
        )
        db.execute(f"PRAGMA busy_timeout = {round(busy_timeout_s * 1000)}")
        db.execute("PRAGMA foreign_keys = ON")
        if str(path) != ":memory:":
            db.enable_wal()
        db.execute("PRAGMA synchronous = FULL")
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):
            raise
        raise StoreError(f"无法打开数据库 / cannot open database {path}: {exc}") from None
    if migrate:
        apply_migrations(db)
    return db


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` is SQLite giving up on a lock another connection held past the busy timeout
    (SQLITE_BUSY or SQLITE_LOCKED, "database is locked"): the caller may retry later."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "database is locked" in str(exc) or "database is busy" in str(exc)


def busy_message(retry_after_s: int = BUSY_RETRY_AFTER_S) -> str:
    """What a caller refused for a busy store is told, on every surface."""
    return (
        f"数据库繁忙，请 {retry_after_s} 秒后重试 / the store is busy (another write holds it), "
        f"retry in {retry_after_s} s"
    )


def write_in_batches(
    db: sqlite_utils.Database,
    items: Iterable[T],
    write: Callable[[list[T]], list[R]],
    size: int = WRITE_BATCH_ROWS,
) -> list[R]:
    """`write` over `items` in lists of at most `size`, each list in its own transaction, with a
    pause between them in which other writers get the lock, so that a long upload never holds
    it for long; returns what the calls returned, concatenated. What was stored before a failure
    stays stored: `write` must be idempotent (keyed rows), so a retried upload stores the rest
    without duplicates. Inside a caller's transaction the batches are part of it (no pause)."""
    done: list[R] = []
    iterator = iter(items)
    chunk = list(itertools.islice(iterator, size))
    while chunk:
        with transaction(db):
            done += write(chunk)
        chunk = list(itertools.islice(iterator, size))
        if chunk and not db.conn.in_transaction:
            time.sleep(BATCH_PAUSE_S)
    return done


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, SQL) of every shipped migration, in order."""
    found = []
    for entry in files("monitor.store").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def schema_version(db: sqlite_utils.Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    return db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]


def apply_migrations(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations the database has not had, each in its own transaction."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    shipped = migrations()
    current = schema_version(db)
    if shipped and current > shipped[-1][0]:
        raise StoreError(
            f"数据库版本 {current} 高于本程序 / the database is at schema version {current}, "
            f"newer than this program ({shipped[-1][0]}); upgrade qinglang"
        )
    applied = []
    for version, name, sql in shipped:
        if version <= current:
            continue
        script = (
            "BEGIN IMMEDIATE;\n"
            f"{sql}\n"
            f"INSERT INTO schema_migrations VALUES ({version}, '{name}', '{now_iso()}');\n"
            "COMMIT;"
        )
        try:
            db.conn.executescript(script)
        except sqlite3.DatabaseError as exc:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            if is_busy(exc):  # another writer: nothing is wrong with the migration
                raise
            raise StoreError(f"数据库升级失败 / migration {name} failed: {exc}") from None
        applied.append(name)
    return applied


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One unit of work: all of it is committed, or none of it. IMMEDIATE takes the write lock at
    the start (sqlite-utils' `atomic()` uses a deferred BEGIN, which can fail with "database is
    locked" half-way when another process writes)."""
    if db.conn.in_transaction:  # nested: part of the caller's unit of work
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


def now_iso(moment: datetime | None = None) -> str:
    """UTC time as ISO-8601 text with a Z, the one time format in the store."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """ISO-8601 text (with Z, an offset, or none = UTC) as an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise InputError(f"时间格式错误 / not an ISO-8601 time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def where_equal(*conditions: tuple[str, Any]) -> tuple[str, list[Any]]:
    """`("WHERE a = ? AND b = ?", [va, vb])` for the (column, value) pairs whose value is not
    None; `("", [])` when there are none. Column names come from code, never from input."""
    chosen = [(column, value) for column, value in conditions if value is not None]
    if not chosen:
        return "", []
    clause = " AND ".join(f"{column} = ?" for column, _ in chosen)
    return f"WHERE {clause}", [value for _, value in chosen]

"""The `worker` key role in the store (issue 15, migration 009): a worker key is made and known as
a worker's, is bound to no anchor, and a store made before 009 is upgraded keeping every key, its
id and everything that refers to it."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from monitor.errors import InputError
from monitor.store.api_keys import authenticate, create_key, list_keys
from monitor.store.db import migrations, now_iso, open_db, schema_version
from monitor.store.registry import add_anchor, add_workshop
from monitor.store.ui_sessions import find_session, open_session


@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "store.db")


def test_a_worker_key_is_made_and_known_as_a_workers(db):
    key_id, key = create_key(db, "worker", label="gpu-1")
    found = authenticate(db, key)
    assert (found.key_id, found.role, found.anchor_id) == (key_id, "worker", None)
    assert found.actor == f"key:{key_id}:worker (gpu-1)"


def test_a_worker_key_is_bound_to_no_anchor(db):
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1", [])
    with pytest.raises(InputError, match="only an anchor key is bound to an anchor"):
        create_key(db, "worker", anchor_id="A1")


def test_the_store_refuses_a_role_it_does_not_know(db):
    with pytest.raises(InputError, match="unknown role 'admin'"):
        create_key(db, "admin")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute(
            "INSERT INTO api_keys (key_hash, prefix, role, created_at) VALUES ('h', 'p', 'admin', ?)",
            [now_iso()],
        )


def _store_before_009(path):
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)"
    )
    for version, name, sql in migrations():
        if version < 9:
            conn.executescript(sql)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, now_iso()]
            )
    conn.commit()
    conn.close()


def test_a_store_made_before_009_keeps_every_key_and_what_refers_to_it(tmp_path):
    path = tmp_path / "old.db"
    _store_before_009(path)
    old = open_db(path, migrate=False)
    add_workshop(old, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(old, "A1", "王阿姨", "W1", [])
    create_key(old, "regulator")
    platform_id, platform_key = create_key(old, "platform", label="抖音接入")
    old.execute("UPDATE api_keys SET revoked_at = ? WHERE id = 1", [now_iso()])
    anchor_id, _ = create_key(old, "anchor", anchor_id="A1")
    old["jobs"].insert(
        {
            "owner_key_id": platform_id,
            "file_path": "f.wav",
            "size_bytes": 1,
            "created_at": now_iso(),
        }
    )
    session = open_session(old, anchor_id, timedelta(hours=1))
    before = list_keys(old)
    old.conn.commit()
    old.conn.close()

    db = open_db(path)  # applies 009
    assert schema_version(db) == migrations()[-1][0]
    assert list_keys(db) == before  # ids, roles, anchors, labels and revocations kept
    assert authenticate(db, platform_key).key_id == platform_id
    assert find_session(db, session).principal.key_id == anchor_id
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert create_key(db, "worker")[0] == anchor_id + 1
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db["jobs"].insert(
            {"owner_key_id": 999, "file_path": "g.wav", "size_bytes": 1, "created_at": now_iso()}
        )

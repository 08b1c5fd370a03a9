"""The SQLite store: schema migrations, durability of acknowledged writes under SIGKILL, the
registry and CSV import, and the hash-chained audit log."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from monitor.errors import InputError, StateConflict
from monitor.store import audit
from monitor.store.db import apply_migrations, migrations, open_db, schema_version
from monitor.store.registry import (
    add_anchor,
    add_product,
    add_workshop,
    find_anchor,
    get_product,
    import_csv,
)


@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "store.db")


def test_a_new_database_gets_every_migration_once(tmp_path):
    db = open_db(tmp_path / "a.db")
    assert schema_version(db) == migrations()[-1][0]
    assert {"anchors", "flags", "violations", "audit_log", "api_keys"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert apply_migrations(db) == []  # nothing left to apply


def test_an_existing_database_is_upgraded_without_loss(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    db = open_db(path)
    add_workshop(db, "W1", "梁弄杨梅工坊")
    db.close()
    from monitor.store import db as db_module

    upgrade = (
        99,
        "099_add_note.sql",
        "ALTER TABLE workshops ADD COLUMN note TEXT NOT NULL DEFAULT '';",
    )
    monkeypatch.setattr(db_module, "migrations", lambda: [*migrations(), upgrade])
    db = open_db(path)
    assert schema_version(db) == 99
    assert next(db.query("SELECT * FROM workshops"))["name"] == "梁弄杨梅工坊"
    assert "note" in db["workshops"].columns_dict


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    from monitor.store import db as db_module
    from monitor.store.db import StoreError

    path = tmp_path / "x.db"
    open_db(path).close()
    broken = (
        98,
        "098_broken.sql",
        "CREATE TABLE extra (id INTEGER); INSERT INTO nowhere VALUES (1);",
    )
    monkeypatch.setattr(db_module, "migrations", lambda: [*migrations(), broken])
    with pytest.raises(StoreError, match="098_broken"):
        open_db(path)
    monkeypatch.undo()
    db = open_db(path)
    assert "extra" not in db.table_names() and schema_version(db) == migrations()[-1][0]


def test_a_database_newer_than_the_program_is_refused(tmp_path):
    from monitor.store.db import StoreError

    db = open_db(tmp_path / "new.db")
    db.execute(
        "INSERT INTO schema_migrations VALUES (500, '500_future.sql', '2030-01-01T00:00:00Z')"
    )
    db.conn.commit()
    with pytest.raises(StoreError, match="newer than this program"):
        open_db(tmp_path / "new.db")


WRITER = textwrap.dedent(
    """
    import sys
    from monitor.store.db import open_db
    from monitor.store.registry import add_workshop
    db = open_db(sys.argv[1])
    for i in range(100000):
        add_workshop(db, f"W{i}", f"工坊{i}", "余姚")
        print(i, flush=True)  # acknowledged only after the commit returned
    """
)


def test_acknowledged_writes_survive_sigkill(tmp_path):
    path = tmp_path / "crash.db"
    open_db(path).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    acknowledged = []
    for line in writer.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) >= 300:
            break
    writer.send_signal(signal.SIGKILL)  # in the middle of a stream of writes
    writer.wait(timeout=10)
    acknowledged += [int(line) for line in writer.stdout.read().split()]  # printed before the kill
    db = open_db(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row["id"] for row in db.query("SELECT id FROM workshops")}
    assert {f"W{i}" for i in acknowledged} <= stored
    assert len(stored) - len(acknowledged) <= 1  # at most one committed but not yet printed
    check = audit.verify(db)
    assert check.ok and check.entries == len(stored)  # each workshop and its audit entry: one unit


def test_registry_and_lookups(db):
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1", ["douyin:wang_yangmei", "Kuaishou:wang2"])
    assert find_anchor(db, "douyin:wang_yangmei")["id"] == "A1"
    assert find_anchor(db, "kuaishou:wang2")["accounts"] == [
        "douyin:wang_yangmei",
        "kuaishou:wang2",
    ]
    add_product(db, "P1", "梁弄杨梅", workshop_id="W1", origin="浙江省宁波市余姚市梁弄镇",
                certifications=[{"type": "geographical_indication", "number": "AGI01234"}])  # fmt: skip
    assert get_product(db, "P1")["certifications"][0]["type"] == "geographical_indication"
    for call, message in [
        (lambda: add_anchor(db, "A1", "x"), "already exists"),
        (lambda: add_anchor(db, "A2", "x", "W9"), "no workshop W9"),
        (lambda: add_anchor(db, "A3", "x", None, ["douyin:wang_yangmei"]), "already registered"),
        (lambda: add_anchor(db, "A4", "x", None, ["nocolon"]), "PLATFORM:ACCOUNT"),
        (lambda: add_anchor(db, "has space", "x"), "without spaces"),
        (lambda: add_anchor(db, "shop/wang", "x"), "without spaces, '/'"),
        (
            lambda: add_product(db, "P2", "x", certifications=[{"type": "made_up"}]),
            "unknown certification",
        ),
        (lambda: find_anchor(db, "douyin:nobody"), "no anchor"),
    ]:
        with pytest.raises(InputError, match=message):
            call()
    assert not db["anchors"].count_where(
        "id IN ('A3', 'A4')"
    )  # a refused add leaves nothing behind


def test_a_taken_id_or_account_is_a_state_conflict_and_other_refusals_are_not(db):
    """The API answers 409 for a StateConflict and 400 for other input errors: the library, not
    the route, tells a duplicate from bad input."""
    add_workshop(db, "W1", "梁弄杨梅工坊")
    add_anchor(db, "A1", "王阿姨", "W1", ["douyin:wang_yangmei"])
    add_product(db, "P1", "梁弄杨梅", workshop_id="W1")
    for call, message in [
        (lambda: add_workshop(db, "W1", "x"), "workshop W1 already exists"),
        (lambda: add_anchor(db, "A1", "x"), "anchor A1 already exists"),
        (lambda: add_anchor(db, "A2", "x", None, ["douyin:wang_yangmei"]), "already registered"),
        (lambda: add_product(db, "P1", "x"), "product P1 already exists"),
    ]:
        with pytest.raises(StateConflict, match=message):
            call()
    for call in [
        lambda: add_anchor(db, "A3", "", "W1"),  # an empty name
        lambda: add_anchor(db, "A4", "x", None, ["nocolon"]),
    ]:
        with pytest.raises(InputError) as refused:
            call()
        assert not isinstance(refused.value, StateConflict)


def test_csv_import_is_all_or_nothing_and_names_the_line(db, tmp_path):
    (tmp_path / "workshops.csv").write_text(
        "id,name,region\nW1,梁弄杨梅工坊,余姚\nW2,安吉白茶工坊,安吉\n", encoding="utf-8"
    )
    assert import_csv(db, tmp_path / "workshops.csv") == ("workshops", 2)
    anchors = tmp_path / "anchors.csv"
    anchors.write_text(
        "id,name,workshop,accounts\nA1,王阿姨,W1,douyin:wang;kuaishou:w2\nA2,李师傅,W9,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"line 3.*no workshop W9"):
        import_csv(db, anchors)
    assert db["anchors"].count == 0  # the good first row was not kept either
    anchors.write_text(
        "id,name,workshop,accounts\nA1,王阿姨,W1,douyin:wang;kuaishou:w2\n", encoding="utf-8"
    )
    assert import_csv(db, anchors) == ("anchors", 1)
    products = tmp_path / "products.csv"
    products.write_text(
        "id,name,workshop,origin,certifications\nP1,白茶,W2,浙江省湖州市安吉县,organic:CN-ORG-1;green_food:LB-2\n",
        encoding="utf-8",
    )
    import_csv(db, products)
    assert {c["type"] for c in get_product(db, "P1")["certifications"]} == {"organic", "green_food"}
    (tmp_path / "people.csv").write_text("id,name\n", encoding="utf-8")
    with pytest.raises(InputError, match="--kind"):
        import_csv(db, tmp_path / "people.csv")
    (tmp_path / "anchors2.csv").write_text("name\nx\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing columns: id"):
        import_csv(db, tmp_path / "anchors2.csv", "anchors")


def test_audit_chain_detects_altered_and_removed_rows(db, tmp_path):
    for i in range(5):
        audit.append(db, "reviewer1", "flag.confirm", f"flag:{i}", {"i": i, "note": "全网最低价"})
    good = audit.verify(db)
    assert good.ok and good.entries == 5
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit_log WHERE seq = 2")
    db.conn.rollback()
    # someone edits the file directly (triggers dropped): each kind of tampering is named
    raw = sqlite3.connect(tmp_path / "store.db")
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("DROP TRIGGER audit_log_no_delete")
    raw.execute(
        "UPDATE audit_log SET detail = ? WHERE seq = 3", [json.dumps({"i": 3, "note": "已改"})]
    )
    raw.commit()
    broken = audit.verify(db)
    assert not broken.ok and broken.bad_seq == 3 and "altered" in broken.problem
    raw.execute("DELETE FROM audit_log WHERE seq >= 3")
    raw.commit()
    assert audit.verify(db).ok  # a cut tail is only visible against a head kept elsewhere
    cut = audit.verify(db, expected_head=good.head)
    assert not cut.ok and "expected head" in cut.problem
    raw.execute("DELETE FROM audit_log WHERE seq = 1")
    raw.commit()
    assert audit.verify(db).problem == "entry 1 is missing (next is 2)"

"""No SQL outside the store: the API's routes and pages (api/) call library functions of monitor/
and translate their answers; they write no SQL and touch no table. The scan reads every module of
api/ with `ast` and names each SQL string (statement or fragment) and each call that queries the
store directly (`.execute(`, `.query(`, `count_where`, `rows_where`, `db[...]`, `.table(`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "api"
SKINS = (API, ROOT / "monitor" / "cli")  # the HTTP API, the web UI and the command line

# SQL as it is written in this code base: upper-case keywords, `?` placeholders.
_SQL = re.compile(
    r"\bSELECT\b.*\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\b(CREATE|DROP|ALTER)\s+(TABLE|INDEX|VIEW|TRIGGER)\b|\bPRAGMA\b|\b(WHERE|JOIN|GROUP BY|ORDER BY)\b"
    r"|\w+\s*(=|!=|<|>|<=|>=|IN|IS|LIKE)\s*\(?\?",
    re.DOTALL,
)
# Calls of sqlite3 / sqlite-utils that read or write the store.
_STORE_CALLS = {
    "execute",
    "executemany",
    "executescript",
    "query",
    "count_where",
    "rows_where",
    "pks_and_rows_where",
    "delete_where",
    "table",
}
_DATABASE_NAMES = {"db", "database", "conn", "connection"}


def _database(node: ast.expr) -> bool:
    """`db`, `self.db`, `services.db`, `db.conn` …: an expression naming a database."""
    if isinstance(node, ast.Name):
        return node.id in _DATABASE_NAMES
    return isinstance(node, ast.Attribute) and node.attr in _DATABASE_NAMES


def sql_in(source: str, name: str = "<source>") -> list[str]:
    """Each SQL string and direct store call in `source`, as `name:line: what`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _SQL.search(node.value):
                found.append(f"{name}:{node.lineno}: SQL string {node.value[:60]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _STORE_CALLS:
                found.append(f"{name}:{node.lineno}: store call .{node.func.attr}(")
        elif isinstance(node, ast.Subscript) and _database(node.value):
            found.append(f"{name}:{node.lineno}: table access {ast.unparse(node)}")
    return found


def test_no_module_of_a_skin_holds_sql_or_queries_the_store():
    modules = sorted(path for skin in SKINS for path in skin.rglob("*.py"))
    assert len(modules) > 60  # the scan reads the packages, not an empty folder
    found = [
        hit for path in modules for hit in sql_in(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert found == [], "queries belong in monitor/ (the store's modules):\n" + "\n".join(found)


# What api/ held before the queries moved to the library: each must be found by the scan.
@pytest.mark.parametrize(
    "source",
    [
        'db.query("SELECT id, name FROM anchors ORDER BY id")',
        'row = db.execute("SELECT anchor_id FROM streams WHERE id = ?", [s]).fetchone()',
        'db["credit_repairs"].count_where("anchor_id = ? AND status = \'pending\'", [a])',
        'sql = "SELECT a.id FROM anchors a LEFT JOIN workshops w ON w.id = a.workshop_id"',
        'sql += f" WHERE a.id IN ({marks})"',
        "found = db['products'].get(product_id)",
        "rows = list(services.db['flags'].rows_where('stream_id = ?', [s]))",
        'db.conn.execute("DELETE FROM jobs")',
        'db.table("x")',
        'params = {"q": "anchor_id = ?"}',
    ],
)
def test_the_scan_finds_sql_and_store_calls(source):
    assert sql_in(source)


@pytest.mark.parametrize(
    "source",
    [
        '"请选择主播 / choose an anchor"',
        '"主播 A1 已有待审申请 / anchor A1 already has a pending application"',
        "rows = stored_credit(db, only)",
        'names = id_names(db, "anchors")',
        "request.query_params.get('page')",
        'headers["Retry-After"]',
    ],
)
def test_the_scan_passes_library_calls_and_messages(source):
    assert sql_in(source) == []

"""Reload without a restart (by API and on file change), keeping the old version serving when the
new one fails; and the service's scheduled credit recompute."""

from __future__ import annotations

import shutil

import httpx
import pytest
from api_server import auth, no_traceback, running, wait_until

from api import create_app
from monitor.credit.policy import default_policy_path, load_policy
from monitor.review.flags import record_violation
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.audit import entries
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_workshop

TERM = "天下第一甜杨梅"
LEXICON = """
entries:
  - id: test.reload_{n}
    term: "{term}"
    category: absolute_terms
    severity: high
    basis: ["广告法第九条第三项"]
    explanation: "绝对化用语 / absolute term"
    suggestion: "很甜的杨梅"
"""


def _write_lexicon(path, term: str, n: int = 1) -> None:
    path.write_text(LEXICON.format(term=term, n=n), encoding="utf-8")


def _hits(client, key, text) -> list[str]:
    answer = client.post("/v1/check", json={"text": text}, headers=auth(key))
    assert answer.status_code == 200, answer.text
    return [hit["text"] for hit in answer.json()["hits"]]


@pytest.fixture
def setup(tmp_path):
    path = tmp_path / "q.db"
    db = open_db(path)
    keys = {role: create_key(db, role, actor="test")[1] for role in ("regulator", "platform")}
    lexicon = tmp_path / "extra.yaml"
    _write_lexicon(lexicon, "某个还没有的词")
    return path, db, keys, lexicon


def test_reload_by_api_switches_lexicons_and_a_broken_file_keeps_the_old(setup):
    path, db, keys, lexicon = setup
    settings = Settings(db=str(path), lexicons=str(lexicon), classifier=False, reload_watch=False)
    with (
        running(create_app(path, settings)) as base,
        httpx.Client(base_url=base, timeout=60, event_hooks={"response": [no_traceback]}) as c,
    ):
        assert TERM not in _hits(c, keys["platform"], f"这是{TERM}")
        before = c.get("/v1/admin/status", headers=auth(keys["regulator"])).json()
        _write_lexicon(lexicon, TERM)
        assert c.post("/v1/admin/reload", headers=auth(keys["platform"])).status_code == 403
        reloaded = c.post("/v1/admin/reload", headers=auth(keys["regulator"]))
        assert reloaded.status_code == 200, reloaded.text
        assert reloaded.json()["version"] != before["serving"]["version"]
        assert reloaded.json()["reloads"] == 1
        assert TERM in _hits(c, keys["platform"], f"这是{TERM}")

        lexicon.write_text("entries: [{id: broken, term: }", encoding="utf-8")
        failed = c.post("/v1/admin/reload", headers=auth(keys["regulator"]))
        assert failed.status_code == 422
        assert failed.json()["error"] == "reload_failed"
        assert failed.json()["detail"]["serving"] == reloaded.json()["version"]
        assert TERM in _hits(c, keys["platform"], f"这是{TERM}")  # the old version still serves
        status = c.get("/v1/admin/status", headers=auth(keys["regulator"])).json()
        assert status["serving"]["last_error"]
    assert [e["action"] for e in entries(db) if e["action"] == "service.reload"] == [
        "service.reload"
    ]


def test_a_changed_file_is_reloaded_while_serving(setup):
    path, _, keys, lexicon = setup
    settings = Settings(db=str(path), lexicons=str(lexicon), classifier=False, reload_watch=True)
    with (
        running(create_app(path, settings)) as base,
        httpx.Client(base_url=base, timeout=60, event_hooks={"response": [no_traceback]}) as c,
    ):
        assert TERM not in _hits(c, keys["platform"], f"这是{TERM}")
        _write_lexicon(lexicon, TERM, n=2)
        wait_until(lambda: TERM in _hits(c, keys["platform"], f"这是{TERM}"))
        status = c.get("/v1/admin/status", headers=auth(keys["regulator"])).json()
        assert status["serving"]["history"][-1]["trigger"] == "file change"


def test_scheduled_recompute_applies_a_reloaded_policy_to_stored_grades(setup, tmp_path):
    path, db, keys, _ = setup
    policy_file = tmp_path / "credit.yaml"
    shutil.copy(default_policy_path(), policy_file)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1")
    record_violation(
        db,
        anchor="A1",
        category="medical_claims",
        severity="high",
        evidence="直播中称杨梅能治糖尿病",
        recorded_by="test",
        policy=load_policy(policy_file),
        categories=["medical_claims"],
    )
    stored = db["credit_state"].get("A1")["score"]
    settings = Settings(
        db=str(path),
        credit_policy=str(policy_file),
        classifier=False,
        reload_watch=False,
        credit_recompute_hours=1 / 3600,  # every second
    )
    with (
        running(create_app(path, settings)) as base,
        httpx.Client(base_url=base, timeout=60, event_hooks={"response": [no_traceback]}) as c,
    ):
        text = policy_file.read_text(encoding="utf-8")
        text = text.replace('version: "2026.1"', 'version: "2026.1-strict"')
        policy_file.write_text(text.replace("  high: 12\n", "  high: 24\n"), encoding="utf-8")
        assert c.post("/v1/admin/reload", headers=auth(keys["regulator"])).status_code == 200

        def recomputed() -> bool:
            state = open_db(path, migrate=False)["credit_state"].get("A1")
            return state["policy_version"] == "2026.1-strict"

        wait_until(recomputed)
        status = c.get("/v1/admin/status", headers=auth(keys["regulator"])).json()
        assert status["credit_recompute"]["runs"] >= 1
        assert status["credit_recompute"]["last_anchors"] == 1
    assert open_db(path)["credit_state"].get("A1")["score"] < stored
    actors = {e["actor"] for e in entries(db, subject="anchor:A1")}
    assert "system:scheduled-recompute" in actors

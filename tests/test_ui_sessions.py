"""Web UI sessions (issue 13 §6) against a real uvicorn server: the cookie is a random session id
(not the key, not containing it), each session has its own CSRF token, logout and revoking the
key end it, it expires, and the cookie is Secure only over https as a trusted proxy reports it
(or when the setting forces it)."""

from __future__ import annotations

import re
from contextlib import contextmanager

import httpx
import pytest
from api_server import running
from ui_login import SESSION_COOKIE, log_in

from api import create_app
from api.core.rate_limit import FAILED_AUTH_PER_MINUTE
from monitor.settings import Settings
from monitor.store.api_keys import create_key, revoke_key
from monitor.store.db import open_db, transaction

SESSION_HOURS = 2.0


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sessions")
    db = open_db(folder / "q.db")
    keys = {
        role: create_key(db, role, actor="test") for role in ("regulator", "platform", "worker")
    }
    settings = Settings(
        db=str(folder / "q.db"), ui_session_hours=SESSION_HOURS, trusted_proxies="127.0.0.1"
    )
    with running(create_app(folder / "q.db", settings)) as base:
        yield {"base": base, "db": db, "keys": keys, "folder": folder}


@contextmanager
def _client(site, source: str = "127.0.0.1"):
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=site["base"], transport=transport, timeout=30) as client:
        yield client


def _csrf(client) -> str:
    page = client.get("/ui/anchors")
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def _login_cookie_header(client, key: str, headers: dict | None = None) -> str:
    form = client.get("/ui/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)
    response = client.post("/ui/login", data={"key": key, "login_csrf": token}, headers=headers)
    assert response.status_code == 303
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))


def test_the_session_cookie_is_a_random_id_not_the_key(site):
    _, key = site["keys"]["regulator"]
    with _client(site) as one, _client(site) as two:
        first, second = log_in(one, key), log_in(two, key)
        assert key not in first and key[3:] not in first and first != second
        assert len(first) >= 40
        assert one.get("/ui/review").status_code == 200
        header = _login_cookie_header(one, key)
        assert "HttpOnly" in header and "SameSite=strict" in header and "Secure" not in header
        assert f"Max-Age={int(SESSION_HOURS * 3600)}" in header


def test_a_worker_key_cannot_log_in_to_the_web_ui(site):
    _, key = site["keys"]["worker"]
    with _client(site) as client:
        form = client.get("/ui/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)
        response = client.post("/ui/login", data={"key": key, "login_csrf": token})
        assert response.status_code == 403
        assert "不能登录网页" in response.text and "a worker key cannot log in" in response.text
        assert SESSION_COOKIE not in client.cookies
        assert site["db"]["ui_sessions"].count_where("key_id = ?", [site["keys"]["worker"][0]]) == 0


def test_each_session_has_its_own_csrf_token_and_refuses_anothers(site):
    _, key = site["keys"]["regulator"]
    with _client(site) as one, _client(site) as two:
        log_in(one, key)
        log_in(two, key)
        token_one, token_two = _csrf(one), _csrf(two)
        assert token_one != token_two
        refused = two.post("/ui/logout", data={"csrf": token_one})
        assert refused.status_code == 403 and "CSRF" in refused.text
        assert two.get("/ui/review").status_code == 200  # still logged in
        assert two.post("/ui/logout", data={"csrf": token_two}).status_code == 303


def test_logout_makes_the_old_cookie_worthless(site):
    _, key = site["keys"]["regulator"]
    with _client(site) as client:
        session = log_in(client, key)
        assert client.post("/ui/logout", data={"csrf": _csrf(client)}).status_code == 303
    with _client(site) as thief:
        thief.cookies.set(SESSION_COOKIE, session)
        response = thief.get("/ui/review")
        assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")


def test_revoking_the_key_ends_its_sessions(site):
    key_id, key = create_key(site["db"], "regulator", actor="test")
    with _client(site) as client:
        log_in(client, key)
        assert client.get("/ui/review").status_code == 200
        revoke_key(site["db"], key_id, actor="test")
        assert client.get("/ui/review").status_code == 303
    rows = (
        site["db"]
        .execute(
            "SELECT COUNT(*) FROM ui_sessions WHERE key_id = ? AND revoked_at IS NULL", [key_id]
        )
        .fetchone()
    )
    assert rows[0] == 0


def test_an_expired_session_is_refused(site):
    key_id, key = site["keys"]["platform"]
    with _client(site) as client:
        log_in(client, key)
        assert client.get("/ui/anchors").status_code == 200
        with transaction(site["db"]):
            site["db"].execute(
                "UPDATE ui_sessions SET expires_at = '2020-01-01T00:00:00Z' WHERE key_id = ?",
                [key_id],
            )
        assert client.get("/ui/anchors").status_code == 303
        log_in(client, key)  # a new login forgets the key's expired sessions
    expired = (
        site["db"]
        .execute(
            "SELECT COUNT(*) FROM ui_sessions WHERE key_id = ? AND expires_at < '2021-01-01'",
            [key_id],
        )
        .fetchone()
    )
    assert expired[0] == 0


def test_a_trusted_proxys_https_makes_the_cookie_secure_and_no_one_elses(site):
    _, key = site["keys"]["regulator"]
    https = {"X-Forwarded-Proto": "https"}
    with _client(site) as proxy:  # 127.0.0.1 is QINGLANG_TRUSTED_PROXIES
        assert "Secure" in _login_cookie_header(proxy, key, https)
        assert "Secure" not in _login_cookie_header(proxy, key)
    with _client(site, source="127.0.0.2") as stranger:  # not listed: its header is ignored
        assert "Secure" not in _login_cookie_header(stranger, key, https)


def test_secure_cookies_can_be_forced(tmp_path):
    settings = Settings(db=str(tmp_path / "q.db"), secure_cookies=True)
    with running(create_app(tmp_path / "q.db", settings)) as base:
        form = httpx.get(f"{base}/ui/login")  # plain http, yet the cookie is only for https
        assert "Secure" in form.headers["set-cookie"]


def _until_refused(client: httpx.Client, headers: dict) -> list[int]:
    """Bad keys until the failed-key limit answers 429 (the bucket refills as it goes, so a few
    more than FAILED_AUTH_PER_MINUTE may pass); the statuses seen."""
    bad = {"Authorization": "Bearer ql_not-a-key", **headers}
    statuses: list[int] = []
    while 429 not in statuses and len(statuses) < 3 * FAILED_AUTH_PER_MINUTE:
        statuses.append(client.get("/v1/flags", headers=bad).status_code)
    return statuses


def test_failed_keys_are_counted_per_client_a_trusted_proxy_names_not_per_proxy(site):
    """Behind a proxy every request comes from its address: the failed-key limit (60 a minute per
    address) counts the client its X-Forwarded-For names, so one guesser does not get everyone
    else's mistyped key refused as a flood; a client that is not a trusted proxy cannot choose
    its own address that way."""
    mistyped = {"Authorization": "Bearer ql_mistyped", "X-Forwarded-For": "198.51.100.8"}
    with _client(site) as proxy:  # 127.0.0.1 is QINGLANG_TRUSTED_PROXIES
        guessed = _until_refused(proxy, {"X-Forwarded-For": "198.51.100.7"})
        assert guessed[-1] == 429 and set(guessed[:-1]) == {401}
        assert proxy.get("/v1/flags", headers=mistyped).status_code == 401  # not 429
    with _client(site, source="127.0.0.3") as stranger:  # not a proxy: counted as itself
        assert _until_refused(stranger, {"X-Forwarded-For": "198.51.100.9"})[-1] == 429
    with _client(site) as proxy:  # so the client 198.51.100.9 behind the proxy was not counted
        again = {**mistyped, "X-Forwarded-For": "198.51.100.9"}
        assert proxy.get("/v1/flags", headers=again).status_code == 401

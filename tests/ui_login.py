"""Logging an httpx client in to the web UI the way a browser does: the login form (its CSRF
cookie and token), then the session cookie the service sets (a session id, not the key)."""

from __future__ import annotations

import re

import httpx

SESSION_COOKIE = "ql_session"


def log_in(client: httpx.Client, key: str) -> str:
    """Log `client` in with `key`; returns the session cookie's value."""
    form = client.get("/ui/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)
    client.post("/ui/login", data={"key": key, "login_csrf": token}, follow_redirects=False)
    session = client.cookies.get(SESSION_COOKIE)
    assert session, "the login did not set a session cookie"
    return session

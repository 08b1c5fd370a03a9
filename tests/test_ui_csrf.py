"""CSRF in the web UI (issue 14 §7): one dependency guards every UI route that may change state.
The routes are read from the app itself, so a new POST/PUT/DELETE page route is covered without
editing this file; each refuses a logged-in session's request without its token or with another,
and the right token (form field or X-CSRF-Token header) is accepted. Against a real uvicorn
server on a real SQLite store."""

from __future__ import annotations

import re

import httpx
import pytest
from api_server import running
from fastapi.routing import iter_route_contexts
from store_samples import anchor_with_violation
from ui_login import log_in

from api import create_app
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.store_lists import list_appeals

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_REFUSED = "表单已过期或来源不明，请刷新页面重试 / CSRF token missing or invalid"
LOGIN_REFUSED = (
    "登录表单已过期，请刷新后重试 / the login form expired"  # its own double-submit token
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("ui_csrf") / "q.db"
    db = open_db(path)
    violation = anchor_with_violation(db)
    keys = {
        "regulator": create_key(db, "regulator", actor="test")[1],
        "anchor": create_key(db, "anchor", "A1", actor="test")[1],
    }
    app = create_app(path, Settings(db=str(path)))
    with running(app) as base:
        yield {"base": base, "db": db, "app": app, "keys": keys, "violation": violation}
    db.conn.close()


def _page_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route of the app outside the JSON API that may change state."""
    return sorted(
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if route.path and not route.path.startswith("/v1/")
        for method in (route.methods or set()) & UNSAFE
    )


def _url(path: str) -> str:
    """A concrete URL for a route's path; the token is checked before its parameters."""
    return re.sub(r"\{[^}]+\}", "1", path)


def _session_token(client: httpx.Client) -> str:
    page = client.get("/ui/self-check")
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def test_the_page_routes_that_change_state_are_found(site):
    routes = _page_routes(site["app"])
    assert ("POST", "/ui/review/flags/{flag_id}/decision") in routes
    assert ("POST", "/ui/anchors/{anchor_ref}/violations/{violation_id}/appeal") in routes
    assert len(routes) >= 11


@pytest.mark.parametrize(
    "sent",
    [{}, {"data": {"csrf": "not-the-token"}}, {"headers": {"X-CSRF-Token": "not-the-token"}}],
    ids=["missing", "wrong-field", "wrong-header"],
)
def test_every_page_route_that_changes_state_refuses_a_missing_or_wrong_token(site, sent):
    with httpx.Client(base_url=site["base"], timeout=30) as client:
        log_in(client, site["keys"]["anchor"])
        for method, path in _page_routes(site["app"]):
            response = client.request(method, _url(path), **sent)
            refusal = LOGIN_REFUSED if path == "/ui/login" else CSRF_REFUSED
            assert (response.status_code, refusal in response.text) == (403, True), (method, path)
            assert response.headers["content-type"].startswith("text/html")


def test_the_right_token_in_the_form_files_an_appeal_streamed_as_multipart(site):
    with httpx.Client(base_url=site["base"], timeout=30) as client:
        log_in(client, site["keys"]["anchor"])
        response = client.post(
            f"/ui/anchors/A1/violations/{site['violation']}/appeal",
            data={"csrf": _session_token(client), "reason": "产品已取得有机认证，证书附后"},
            files={"files": ("report.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        )
    assert response.status_code == 200
    [appeal], _ = list_appeals(site["db"], anchor_id="A1")
    assert appeal["reason"] == "产品已取得有机认证，证书附后"


def test_the_right_token_in_the_header_or_the_form_is_accepted(site):
    with httpx.Client(base_url=site["base"], timeout=30) as client:
        log_in(client, site["keys"]["regulator"])
        token = _session_token(client)
        decided = client.post(
            "/ui/decisions/appeals/999999",
            data={"action": "uphold", "note": "证据不足"},
            headers={"X-CSRF-Token": token},
        )
        assert decided.status_code == 404  # past the token: the appeal does not exist
        logout = client.post("/ui/logout", data={"csrf": token}, follow_redirects=False)
        assert logout.status_code == 303

"""Login for the web UI: the user pastes an API key once and gets a server-side session
(monitor/store/ui_sessions.py): the HttpOnly, SameSite=Strict cookie holds a random session id, never
the key. The session expires after QINGLANG_UI_SESSION_HOURS, ends at logout, and ends with its
key's revocation; a restart loses no session. The cookie is Secure when the request came over
https (behind a proxy listed in QINGLANG_TRUSTED_PROXIES, as its X-Forwarded-Proto says) or
always with QINGLANG_SECURE_COOKIES.

CSRF: every form that changes state carries the session's own random token, stored with the
session, which a page of another site cannot know or read; htmx sends it as the X-CSRF-Token
header. The login form itself uses a double-submit cookie.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from api.core.auth import forbidden
from api.core.context import DatabaseDep
from api.ui.render import HtmlErrorRoute, LoginRequired, UiError, render
from monitor.messages import words
from monitor.store.api_keys import Principal, authenticate
from monitor.store.ui_sessions import find_session, open_session, revoke_session

SESSION_COOKIE = "ql_session"
LOGIN_CSRF_COOKIE = "ql_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PATH = "/ui/login"
HOME_BY_ROLE = {"regulator": "/ui/review", "platform": "/ui/anchors", "anchor": "/ui/self-check"}

router = APIRouter(route_class=HtmlErrorRoute, include_in_schema=False)


@dataclass(frozen=True)
class UiCaller:
    """A logged-in user: their key's principal, its label and the CSRF token of this session."""

    principal: Principal
    label: str
    csrf: str

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def anchor_id(self) -> str | None:
        return self.principal.anchor_id

    @property
    def role_name(self) -> str:
        return words("role", self.role).zh

    @property
    def reviewer(self) -> str:
        """Who acts, for the audit log (as for the API: `key:<id>:<role> (label)`)."""
        return self.principal.actor


def _caller(request: Request, db: DatabaseDep) -> UiCaller | None:
    """The session's user, looked up once per request: the CSRF dependency and the route's role
    check share it (and pages read it from `request.state`)."""
    if hasattr(request.state, "ui_caller"):
        return request.state.ui_caller
    session = find_session(db, request.cookies.get(SESSION_COOKIE, ""))
    caller = (
        None
        if session is None
        else UiCaller(session.principal, session.principal.label, session.csrf)
    )
    request.state.ui_caller = caller
    return caller


def optional_caller(request: Request, db: DatabaseDep) -> UiCaller | None:
    """The logged-in user, or None (pages anyone may see)."""
    return _caller(request, db)


def ui_roles(*roles: str) -> Callable[..., UiCaller]:
    """A dependency admitting logged-in users with one of `roles`; others go to the login page
    (no valid cookie) or get a 403 page (another role)."""

    def admitted(request: Request, db: DatabaseDep) -> UiCaller:
        caller = _caller(request, db)
        if caller is None:
            raise LoginRequired()
        if caller.role not in roles:
            raise UiError(403, forbidden("forbidden_page", caller.role, roles))
        return caller

    return admitted


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


async def csrf_checked(request: Request, db: DatabaseDep) -> None:
    """The dependency of every UI route: a request that may change state (POST, PUT, DELETE…)
    from a logged-in session gets a 403 page unless the X-CSRF-Token header or the `csrf` form
    field carries this session's token. Without a session the route's own role check answers
    (the login page). The login form has its own double-submit token, checked by the route."""
    if request.method in _SAFE_METHODS or request.url.path == LOGIN_PATH:
        return
    caller = await anyio.to_thread.run_sync(_caller, request, db)
    if caller is None:
        return
    token = request.headers.get(CSRF_HEADER) or await _form_token(request)
    if not hmac.compare_digest(token.encode(), caller.csrf.encode()):
        raise UiError(
            403,
            "表单已过期或来源不明，请刷新页面重试 / CSRF token missing or invalid: reload the page",
        )


async def _form_token(request: Request) -> str:
    """The `csrf` field of a form body. A route that reads its body itself (the streamed appeal
    upload) finds it kept whole: the body is read with `body()` first, which keeps it."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in _FORM_TYPES:
        return ""
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is None:
        await request.body()
    value = (await request.form()).get("csrf")
    return value if isinstance(value, str) else ""


def _safe_next(target: str) -> str:
    """Only a path on this site (no scheme, no host, not //host) may be returned to."""
    parts = urlsplit(target)
    # Browsers read "/\\host" as "//host": a backslash anywhere disqualifies the target.
    if (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not parts.netloc
    ):
        return target
    return ""


@router.get(LOGIN_PATH)
def login_form(
    request: Request, caller: Annotated[UiCaller | None, Depends(optional_caller)], next: str = ""
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"next": _safe_next(next), "login_csrf": token})
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


@router.post(LOGIN_PATH)
def login(
    request: Request,
    db: DatabaseDep,
    key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    login_csrf: Annotated[str, Form()] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(login_csrf.encode(), expected.encode()):
        raise UiError(403, "登录表单已过期，请刷新后重试 / the login form expired: reload it")
    key = key.strip()
    found = authenticate(db, key) if key else None
    if found is None or found.role not in HOME_BY_ROLE:
        token = secrets.token_urlsafe(24)
        refused = found is not None  # a worker key: for `qinglang worker`, never for a person
        response = render(
            request,
            "login.html",
            {
                "next": _safe_next(next),
                "login_csrf": token,
                "error": "此密钥不能登录网页（工作节点专用）/ a worker key cannot log in to the web UI"
                if refused
                else "API 密钥无效或已吊销 / invalid or revoked API key",
            },
            status=403 if refused else 401,
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request)
        )
        return response
    lifetime = timedelta(hours=request.app.state.services.settings.ui_session_hours)
    session_id = open_session(db, found.key_id, lifetime)
    response = RedirectResponse(_safe_next(next) or HOME_BY_ROLE[found.role], status_code=303)
    response.set_cookie(
        SESSION_COOKIE, session_id, max_age=int(lifetime.total_seconds()), httponly=True,
        samesite="strict", secure=_secure(request), path="/",
    )  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/ui/logout")
def logout(
    request: Request,
    db: DatabaseDep,
    caller: Annotated[UiCaller | None, Depends(optional_caller)],
) -> Response:
    """End this session in the store (its cookie is refused from now on, wherever it is kept)."""
    if caller is not None:
        revoke_session(db, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _secure(request: Request) -> bool:
    """Mark cookies Secure: the request came over https (a trusted proxy's scheme counts, see
    api/core/trusted_proxies.py), or QINGLANG_SECURE_COOKIES says always."""
    return request.app.state.services.settings.secure_cookies or request.url.scheme == "https"

"""Who is calling and what they may see: `Authorization: Bearer <key>` names an API key
(monitor.store.api_keys); a route states the roles it admits; an anchor key sees only its own anchor.

401: no key, or a key that is unknown or revoked. 403: a valid key whose role the route does
not admit, or an anchor key asking about any other anchor (whether or not that anchor exists,
so that anchor keys cannot probe which anchors are registered).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.core.context import DatabaseDep
from api.core.errors import ApiError
from monitor.errors import InputError
from monitor.messages import label, words
from monitor.store.api_keys import Principal, authenticate
from monitor.store.registry import lookup_anchor

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="api_key",
    description="API key from `qinglang keys create` (role regulator, platform or anchor).",
)


def principal(
    request: Request,
    db: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller, after its key is checked and one request is counted against its rate limit
    (429 over it); failed attempts are limited per client address."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise ApiError(
            401,
            "unauthorized",
            "缺少 API 密钥 / missing API key: send Authorization: Bearer <key>",
            headers=challenge,
        )
    found = authenticate(db, credentials.credentials)
    state = request.app.state
    if found is None:
        client = request.client.host if request.client else "?"
        state.failed_auth_limiter.take(("address", client), "地址的失败认证 / address failing auth")
        raise ApiError(
            401,
            "unauthorized",
            "API 密钥无效或已吊销 / invalid or revoked API key",
            headers=challenge,
        )
    state.rate_limiter.take(found.key_id, "密钥 / key")
    return found


def require_roles(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting only keys with one of `roles`."""

    def admitted(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        if caller.role not in roles:
            raise ApiError(403, "forbidden", forbidden("forbidden_role", caller.role, roles))
        return caller

    return admitted


def forbidden(message: str, role: str, allowed: tuple[str, ...]) -> str:
    """Why a key of `role` is refused, naming the roles `allowed`, in both languages."""
    return label(
        "request_error",
        message,
        role=words("role", role),
        allowed=[words("role", r) for r in allowed],
    )


AnchorRef = Annotated[
    str,
    Path(
        description="Anchor id, or a platform account written PLATFORM:ACCOUNT (URL-encoded).",
        examples=["A1", "douyin:wang"],
    ),
]


def readable_anchor(caller: Principal, db: DatabaseDep, anchor_id: AnchorRef) -> str | None:
    """The id of the anchor named in the path, or None when no anchor has that id or account; an
    anchor key asking about any other anchor (existing or not) is a 403."""
    try:
        found = lookup_anchor(db, anchor_id)
    except InputError:
        found = None
    found_id = found["id"] if found else None
    check_own(caller, found_id)
    return found_id


def check_own(caller: Principal, anchor_id: str | None) -> None:
    """An anchor key reads only its own anchor's records (403 for any other, or for none)."""
    if caller.role == "anchor" and caller.anchor_id != anchor_id:
        raise ApiError(
            403, "forbidden", "主播密钥只能查看本人 / an anchor key sees only its own anchor"
        )


def anchor_id_for(caller: Principal, db: DatabaseDep, anchor_id: AnchorRef) -> str:
    """The id of the anchor named in the path, if `caller` may see it (404 when it does not exist)."""
    found = readable_anchor(caller, db, anchor_id)
    if found is None:
        raise ApiError(404, "anchor_not_found", f"主播不存在 / no anchor {anchor_id}")
    return found

"""What the due-process route modules (violations, appeals, repairs, scripts) share: the callers
they admit, the error responses they document, and an anchor key's restriction to its own
records. No route lives here."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.core.auth import anchor_id_for, require_roles
from api.core.errors import ApiError, ErrorBody
from monitor.store.api_keys import ROLES, Principal

Anyone = Annotated[Principal, Depends(require_roles(*ROLES))]
Regulator = Annotated[Principal, Depends(require_roles("regulator"))]
READ = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}}
ONE = {**READ, 404: {"model": ErrorBody}}
WRITE = {**ONE, 400: {"model": ErrorBody}}
DECIDE = {**WRITE, 409: {"model": ErrorBody, "description": "Already decided."}}
FORBIDDEN = "主播密钥只能查看本人 / an anchor key sees only its own anchor"


def anchor_filter(caller: Principal, db, anchor: str | None) -> str | None:
    """The anchor a list is restricted to: the one asked for (checked), or an anchor key's own."""
    if anchor is not None:
        return anchor_id_for(caller, db, anchor)
    return caller.anchor_id if caller.role == "anchor" else None


def check_own(caller: Principal, anchor_id: str) -> None:
    """An anchor key reads only its own anchor's records (403 for any other)."""
    if caller.role == "anchor" and caller.anchor_id != anchor_id:
        raise ApiError(403, "forbidden", FORBIDDEN)

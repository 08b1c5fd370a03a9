"""What the due-process route modules (violations, appeals, repairs, scripts) share: the callers
they admit, the error responses they document, and an anchor key's restriction to its own
records (`check_own`, in api.core.auth). No route lives here."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.core.auth import anchor_id_for, require_roles
from api.core.errors import ErrorBody
from monitor.store.api_keys import ROLES, Principal

Anyone = Annotated[Principal, Depends(require_roles(*ROLES))]
Regulator = Annotated[Principal, Depends(require_roles("regulator"))]
READ = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}}
ONE = {**READ, 404: {"model": ErrorBody}}
WRITE = {**ONE, 400: {"model": ErrorBody}}
DECIDE = {**WRITE, 409: {"model": ErrorBody, "description": "Already decided."}}


def anchor_filter(caller: Principal, db, anchor: str | None) -> str | None:
    """The anchor a list is restricted to: the one asked for (checked), or an anchor key's own."""
    if anchor is not None:
        return anchor_id_for(caller, db, anchor)
    return caller.anchor_id if caller.role == "anchor" else None

"""Administration for regulators: reload lexicons, classifier and credit policy without a
restart, and the state of the service's own periodic work."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field

from api.core.auth import require_roles
from api.core.errors import ApiError, ErrorBody
from api.core.reloader import Reloader, ReloadFailed
from api.workers.background_tasks import CreditRecompute, FileWatch, Workers
from monitor.store.api_keys import Principal

router = APIRouter(tags=["admin"])

Regulator = Annotated[Principal, Depends(require_roles("regulator"))]


class ReloadEvent(BaseModel):
    at: str
    trigger: str
    policy_version: str
    from_: str = Field(alias="from")
    to: str


class ServiceVersion(BaseModel):
    version: str = Field(description="Digest of the lexicon, classifier and policy files in use.")
    loaded_at: str
    policy_version: str
    reloads: int
    last_error: str = Field(description="Why the last reload failed ('' when it did not).")
    last_error_at: str
    history: list[ReloadEvent]


class RecomputeState(BaseModel):
    enabled: bool
    interval_hours: float
    runs: int
    last_run_at: str
    last_anchors: int
    last_seconds: float


class AdminStatus(BaseModel):
    serving: ServiceVersion
    watching_files: bool
    credit_recompute: RecomputeState


def background(app: FastAPI) -> Workers:
    reloader = app.state.reloader = Reloader(app)
    settings = app.state.services.settings
    watch = FileWatch(reloader) if settings.reload_watch else None
    hours = settings.credit_recompute_hours
    recompute = CreditRecompute(app, hours) if hours > 0 else None
    app.state.credit_recompute = recompute
    return Workers(watch, recompute)


@router.post(
    "/v1/admin/reload",
    response_model=ServiceVersion,
    responses={
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        422: {"model": ErrorBody, "description": "The new files did not load; the old serve on."},
    },
)
def reload(request: Request, caller: Regulator) -> dict:
    """Load lexicons, classifier and credit policy anew and switch to them once they have loaded
    and validated; on failure the version in use goes on serving and the error is returned."""
    reloader: Reloader = request.app.state.reloader
    try:
        status = reloader.reload(f"key:{caller.key_id}", "api")
    except ReloadFailed as exc:
        raise ApiError(
            422,
            "reload_failed",
            f"重新加载失败，继续使用原版本 / reload failed, the previous version still serves: {exc}",
            {"serving": reloader.status.version},
        ) from None
    return asdict(status)


@router.get(
    "/v1/admin/status",
    response_model=AdminStatus,
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}},
)
def status(request: Request, caller: Regulator) -> dict:
    """The version serving, reload history and the scheduled credit recompute."""
    state = request.app.state
    settings = state.services.settings
    recompute: CreditRecompute | None = state.credit_recompute
    runs = asdict(recompute.status) if recompute else {}
    return {
        "serving": asdict(state.reloader.status),
        "watching_files": settings.reload_watch,
        "credit_recompute": {
            "enabled": recompute is not None,
            "interval_hours": settings.credit_recompute_hours,
            "runs": runs.get("runs", 0),
            "last_run_at": runs.get("last_run_at", ""),
            "last_anchors": runs.get("last_anchors", 0),
            "last_seconds": runs.get("last_seconds", 0.0),
        },
    }

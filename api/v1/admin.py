"""Administration for regulators: reload lexicons, classifier and credit policy without a
restart, and the state of the service's own periodic work."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field

from api.core.auth import require_roles
from api.core.errors import ApiError, ErrorBody
from api.core.reloader import Reloader, ReloadFailed
from api.workers.background_tasks import CreditRecompute, FileWatch, Workers
from monitor.broker.status import broker_status
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


class QueueState(BaseModel):
    kind: str = Field(description="room | job")
    waiting: int = Field(description="Queued, not taken by a worker yet.")
    held: int = Field(description="Held by a worker (claimed, not finished).")


class WorkerState(BaseModel):
    worker: str = Field(description="Consumer name: w<key id>.<host>.<pid>.<hex>.")
    host: str
    device: str
    max_rooms: int
    rooms: list[int]
    jobs: list[int]
    rtf: float | None = Field(description="Real-time factor over the last minute (< 1 keeps up).")
    last_heartbeat: str = Field(description="UTC, ISO-8601.")


class RoomWaiting(BaseModel):
    room_id: int
    waited_s: float


class BrokerState(BaseModel):
    url: str = Field(description="The broker's address, without user or password.")
    connected: bool
    queues: list[QueueState]
    workers: list[WorkerState]
    rooms_waiting: list[RoomWaiting]


class AdminStatus(BaseModel):
    serving: ServiceVersion
    watching_files: bool
    credit_recompute: RecomputeState
    broker: BrokerState | None = Field(
        description="Speech workers on other machines (QINGLANG_BROKER_URL); null without one."
    )


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
    """The version serving, reload history and the scheduled credit recompute; with a broker,
    its queues, the workers alive and the rooms waiting for one."""
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
        "broker": (
            broker_status(state.broker, settings.broker_url, time.time())
            if state.broker is not None
            else None
        ),
    }

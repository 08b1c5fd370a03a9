"""`GET /v1/worker/identity`: a worker process asks, at its start, which key it holds, so that it
names itself `w<key id>.<host>.<pid>.<4 hex>` (the /v1/worker routes refuse any other name for
that key). It doubles as the worker's start-up check: the API node answers, the key is a worker
key, and a broker is configured."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from api.core.auth import require_roles
from api.core.context import broker
from api.core.errors import ApiError, ErrorBody
from monitor.broker.keys import consumer_prefix
from monitor.store.api_keys import Principal

router = APIRouter(tags=["worker"])
Worker = Annotated[Principal, Depends(require_roles("worker"))]


class WorkerIdentity(BaseModel):
    key_id: int
    consumer_prefix: str  # every consumer name of this key starts with it: `w<key id>.`


@router.get(
    "/v1/worker/identity",
    response_model=WorkerIdentity,
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 404: {"model": ErrorBody}},
)
def identity(request: Request, caller: Worker) -> dict:
    """The calling worker key's id and the prefix of its consumer names; 404 `no_broker` when
    this API node has no broker (QINGLANG_BROKER_URL unset: it runs its own speech work)."""
    if broker(request) is None:
        raise ApiError(
            404,
            "no_broker",
            "此服务未配置任务代理 / this service has no broker (QINGLANG_BROKER_URL)",
        )
    return {"key_id": caller.key_id, "consumer_prefix": consumer_prefix(caller.key_id)}

"""Who may use the /v1/worker routes (issue 15): a `worker` key, naming in `X-Qinglang-Worker` a
broker consumer of its own (`w<key id>.…`, broker.keys.consumer_prefix), for an item that
consumer holds on the broker right now.

Without a broker every such route is a 404 `no_broker`; another role's key a 403; a consumer name
of another key a 403 `not_your_worker`; an item the consumer does not hold (never claimed, taken
over by another worker, finished) a 409 `not_held`, on which a worker drops the item at once; a
broker that does not answer a 503 `broker_unavailable` with Retry-After.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import redis
from fastapi import Depends, Header, Request

from api.core.auth import require_roles
from api.core.context import broker
from api.core.errors import ApiError
from monitor.broker import leases
from monitor.broker.keys import Kind, consumer_prefix
from monitor.store.api_keys import Principal
from monitor.vocabulary import WORKER_ROLE

BROKER_RETRY_AFTER_S = 5  # the API node's refill runs this often once Redis is back


@dataclass(frozen=True)
class WorkerCaller:
    """A worker key's request: the broker, the consumer it acts as, and the key."""

    client: redis.Redis
    consumer: str
    principal: Principal

    def require_held(self, kind: Kind, item_id: int | str) -> None:
        """409 `not_held` unless this consumer holds the item on the broker now."""
        try:
            holder = leases.holder(self.client, kind, item_id)
        except redis.RedisError:
            raise broker_unavailable() from None
        if holder != self.consumer:
            raise ApiError(
                409,
                "not_held",
                f"工作节点未持有此项工作 / {self.consumer} does not hold {kind} {item_id}",
                detail={"kind": kind, "id": str(item_id)},
            )


def broker_unavailable() -> ApiError:
    """503 with Retry-After: the broker does not answer (the service keeps serving the rest)."""
    return ApiError(
        503,
        "broker_unavailable",
        "消息代理暂不可用，请稍后重试 / the broker (Redis) does not answer; retry later",
        headers={"Retry-After": str(BROKER_RETRY_AFTER_S)},
    )


def broker_client(request: Request) -> redis.Redis:
    """The broker's client; 404 `no_broker` when the service runs without one."""
    client = broker(request)
    if client is None:
        raise ApiError(
            404,
            "no_broker",
            "本服务未配置消息代理，不使用工作节点 / this service has no broker "
            "(QINGLANG_BROKER_URL): it uses no workers",
        )
    return client


def worker_caller(
    client: Annotated[redis.Redis, Depends(broker_client)],
    caller: Annotated[Principal, Depends(require_roles(WORKER_ROLE))],
    x_qinglang_worker: Annotated[
        str,
        Header(
            min_length=1,
            max_length=200,
            description="The worker's consumer name on the broker, `w<key id>.<host>.<pid>.<hex>`.",
        ),
    ],
) -> WorkerCaller:
    """The calling worker; 403 `not_your_worker` when the consumer name is another key's."""
    prefix = consumer_prefix(caller.key_id)
    if not x_qinglang_worker.startswith(prefix):
        raise ApiError(
            403,
            "not_your_worker",
            f"工作节点名须以 {prefix} 开头 / this key's worker names start with {prefix}",
        )
    return WorkerCaller(client, x_qinglang_worker, caller)


WorkerDep = Annotated[WorkerCaller, Depends(worker_caller)]

"""Who may call /v1/worker/…: a `worker` key, naming in `X-Qinglang-Worker` the consumer (the
worker process) it speaks for, which must be one of its own (`w<key id>.…`), for an item that
consumer holds on the broker right now. Without a broker these routes do not exist (404
`no_broker`). A worker that is answered 409 `not_held` drops the item at once: another worker
took it over."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import redis
from fastapi import Depends, Header, Request

from api.core.auth import require_roles
from api.core.errors import ApiError
from api.v1.live import broker_unavailable
from monitor.broker import leases
from monitor.broker.keys import Kind, consumer_prefix
from monitor.store.api_keys import Principal

WORKER_HEADER = "X-Qinglang-Worker"


@dataclass(frozen=True)
class WorkerCall:
    """A worker key's call: the key, the consumer it speaks for, the broker's client."""

    caller: Principal
    consumer: str
    client: redis.Redis

    def check_holds(self, kind: Kind, item_id: int) -> None:
        """409 `not_held` unless the consumer holds the item now (503 when Redis is down)."""
        try:
            holder = leases.holder(self.client, kind, item_id)
        except redis.RedisError:
            raise broker_unavailable() from None
        if holder != self.consumer:
            raise ApiError(
                409,
                "not_held",
                f"此节点未持有 {kind} {item_id} / worker {self.consumer} does not hold "
                f"{kind} {item_id} (now: {'nobody' if holder is None else 'another worker'})",
            )


def worker_call(
    request: Request,
    caller: Annotated[Principal, Depends(require_roles("worker"))],
    consumer: Annotated[
        str | None,
        Header(alias=WORKER_HEADER, max_length=200, description="The worker's consumer name."),
    ] = None,
) -> WorkerCall:
    client = request.app.state.broker
    if client is None:
        raise ApiError(
            404, "no_broker", "未配置任务队列 / no broker is configured (QINGLANG_BROKER_URL)"
        )
    if not consumer:
        raise ApiError(
            400, "worker_header_missing", f"缺少 {WORKER_HEADER} / send {WORKER_HEADER}: <consumer>"
        )
    if not consumer.startswith(consumer_prefix(caller.key_id)):
        raise ApiError(
            403,
            "not_your_worker",
            f"节点名须以 {consumer_prefix(caller.key_id)} 开头 / a worker of key {caller.key_id} "
            f"is named {consumer_prefix(caller.key_id)}…",
        )
    return WorkerCall(caller, consumer, client)


Worker = Annotated[WorkerCall, Depends(worker_call)]

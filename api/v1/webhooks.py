"""Webhook subscriptions for platforms and their delivery log; the delivery worker runs with the
app. Platform and regulator keys; a platform key sees only the subscriptions it created, a
regulator sees all. The delivery policy is `app.state.webhook_policy` if set before start-up
(tests), else `monitor/policies/webhooks.yaml`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request

from api.core.auth import require_roles
from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ApiError, ErrorBody
from api.v1.schemas.webhooks import (
    Delivery,
    DeliveryStatus,
    Webhook,
    WebhookCreated,
    WebhookRequest,
)
from monitor.notify.delivery import DeliveryWorker, WebhookPolicy, load_webhook_policy
from monitor.notify.outbox import enqueue_ping, get_delivery, list_deliveries
from monitor.notify.webhooks import (
    create_subscription,
    deactivate_subscription,
    get_subscription,
    list_subscriptions,
)
from monitor.store.api_keys import Principal

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

Caller = Annotated[Principal, Depends(require_roles("platform", "regulator"))]
WebhookId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The webhook's id.")]
_ERRORS = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody, "description": "An anchor key."},
    422: {"model": ErrorBody},
}
_FOUND = {**_ERRORS, 404: {"model": ErrorBody, "description": "No such webhook of the caller."}}


def background(app: FastAPI) -> DeliveryWorker:
    services = app.state.services
    return DeliveryWorker(
        services.db_path,
        webhook_policy(app),
        allow=lambda: app.state.services.settings.webhook_allow,
    )


def webhook_policy(app: FastAPI) -> WebhookPolicy:
    policy = getattr(app.state, "webhook_policy", None)
    if policy is None:
        policy = app.state.webhook_policy = load_webhook_policy()
    return policy


@router.post(
    "",
    status_code=201,
    response_model=WebhookCreated,
    responses={
        **_ERRORS,
        400: {
            "model": ErrorBody,
            "description": "A URL that is not http(s) or not public and not allowed; an invalid "
            "platform name; too many webhooks for this key.",
        },
    },
)
def create_webhook(
    body: WebhookRequest, caller: Caller, db: DatabaseDep, services: ServicesDep, request: Request
) -> dict:
    """Subscribe a URL to events. The answer carries the signing `secret`, shown only this once."""
    return create_subscription(
        db,
        body.url,
        list(body.events),
        owner_key_id=caller.key_id,
        platform=body.platform,
        description=body.description,
        allow=services.settings.webhook_allow,
        max_per_owner=webhook_policy(request.app).max_subscriptions_per_key,
    )


@router.get("", response_model=list[Webhook], responses=_ERRORS)
def list_webhooks(caller: Caller, db: DatabaseDep) -> list[dict]:
    """The caller's webhooks (a regulator: everyone's), newest first; secrets are not shown."""
    return list_subscriptions(db, None if caller.role == "regulator" else caller.key_id)


@router.get("/{webhook_id}", response_model=Webhook, responses=_FOUND)
def show_webhook(webhook_id: WebhookId, caller: Caller, db: DatabaseDep) -> dict:
    return _visible(db, caller, webhook_id)


@router.delete("/{webhook_id}", response_model=Webhook, responses=_FOUND)
def delete_webhook(webhook_id: WebhookId, caller: Caller, db: DatabaseDep) -> dict:
    """Deactivate: nothing more is sent (pending deliveries fail); the history is kept."""
    _visible(db, caller, webhook_id)
    return deactivate_subscription(db, webhook_id)


@router.post(
    "/{webhook_id}/ping",
    status_code=202,
    response_model=Delivery,
    responses={**_FOUND, 409: {"model": ErrorBody, "description": "The webhook was deleted."}},
)
def ping_webhook(webhook_id: WebhookId, caller: Caller, db: DatabaseDep) -> dict:
    """Send a `ping` event to the webhook now, to test the receiver and its signature check."""
    if not _visible(db, caller, webhook_id)["active"]:
        raise ApiError(409, "webhook_inactive", f"回调已停用 / webhook {webhook_id} was deleted")
    return get_delivery(db, enqueue_ping(db, webhook_id))


@router.get("/{webhook_id}/deliveries", response_model=list[Delivery], responses=_FOUND)
def webhook_deliveries(
    webhook_id: WebhookId,
    caller: Caller,
    db: DatabaseDep,
    status: Annotated[DeliveryStatus | None, Query(description="Only this status.")] = None,
    limit: Annotated[
        int, Query(ge=1, le=500, description="Newest first, at most this many.")
    ] = 100,
) -> list[dict]:
    """Each delivery with its attempts (time, HTTP status or error) and next attempt time."""
    _visible(db, caller, webhook_id)
    return list_deliveries(db, webhook_id, status, limit)


def _visible(db: DatabaseDep, caller: Principal, webhook_id: int) -> dict:
    found = get_subscription(db, webhook_id)
    if found is None or (caller.role != "regulator" and found["owner_key_id"] != caller.key_id):
        raise ApiError(404, "webhook_not_found", f"回调不存在 / no webhook {webhook_id}")
    return found

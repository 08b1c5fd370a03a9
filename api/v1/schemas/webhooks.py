"""Request and response models of the webhook endpoints; they mirror `monitor.notify.webhooks`' dicts."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.v1.schemas.common import HTTP_URL_PATTERN
from monitor.notify.webhooks import EVENT_TYPES, PING

EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=2048,
        # documented only: the URL policy refuses others with a 400 that says why
        json_schema_extra={"pattern": HTTP_URL_PATTERN},
        description="Where events are POSTed: http or https, a public host (or one "
        "QINGLANG_WEBHOOK_ALLOW names).",
        examples=["https://platform.example.com/qinglang/events"],
    )
    events: list[EventType] = Field(
        min_length=1, max_length=len(EVENT_TYPES), description="Event types to receive."
    )
    platform: str | None = Field(
        None,
        max_length=64,
        description="Only events about anchors with an account on this platform (e.g. douyin).",
    )
    description: str = Field("", max_length=500, description="A note for the subscriber.")


class Webhook(BaseModel):
    id: int
    url: str
    events: list[EventType]
    platform: str | None
    owner_key_id: int | None = Field(description="The API key that created the subscription.")
    description: str
    active: bool = Field(description="False once deleted; the delivery history is kept.")
    created_at: str
    deactivated_at: str | None


class WebhookCreated(Webhook):
    secret: str = Field(
        description="Signs every delivery (X-Qinglang-Signature). Shown only now: store it."
    )


class Attempt(BaseModel):
    attempt: int = Field(description="1 for the first attempt.")
    at: str
    http_status: int | None = Field(description="The receiver's status; null if none came.")
    error: str | None = Field(description="Why the attempt failed; null when it got a 2xx.")
    duration_ms: float


class Delivery(BaseModel):
    id: int = Field(description="Also sent as X-Qinglang-Delivery: deduplicate by it.")
    subscription_id: int
    event_id: str = Field(description="The envelope's `id`, the same in every subscription.")
    event: Literal[(*EVENT_TYPES, PING)]  # type: ignore[valid-type]
    anchor_id: str | None
    status: DeliveryStatus
    created_at: str
    attempt_count: int
    attempts: list[Attempt]
    next_attempt_at: str | None = Field(description="When a pending delivery is tried next.")
    delivered_at: str | None
    last_error: str | None
    payload: dict[str, Any] = Field(
        description='The JSON POSTed: {"id", "type", "created_at", "anchor_id", "data"}.'
    )

"""Shapes of the webhook deliveries API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Url = Annotated[str, msgspec.Meta(max_length=2048)]


class Attempt(msgspec.Struct, rename="camel"):
    attempted_at: datetime
    url: str
    status_code: int | None
    latency_ms: int
    response_body: str | None  # first 1 KiB of the receiver's answer
    error: str | None


class Delivery(msgspec.Struct, rename="camel"):
    delivery_id: str
    webhook_id: str  # the Standard Webhooks webhook-id, the same on every attempt
    event_type: str
    status: str  # pending | delivered | dead
    attempt_count: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    created_at: datetime
    payload: str  # the exact JSON body sent
    attempts: list[Attempt] | None = None


class DeliveryList(msgspec.Struct, rename="camel"):
    """One page of deliveries; ``nextCursor`` is null on the last page."""

    data: list[Delivery]
    next_cursor: str | None = None


class RotatedSecret(msgspec.Struct, rename="camel"):
    webhook_secret: str
    previous_secret_expires_at: datetime


class WebhookSettings(msgspec.Struct, rename="camel"):
    """Where webhooks go; ``errorWebhookUrl`` null: ``workflow.failed`` goes to ``webhookUrl``."""

    webhook_url: str | None
    error_webhook_url: str | None


class WebhookSettingsUpdate(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Either key or both; null (or "") clears that URL, a key left out keeps it."""

    webhook_url: Url | msgspec.UnsetType | None = msgspec.UNSET
    error_webhook_url: Url | msgspec.UnsetType | None = msgspec.UNSET

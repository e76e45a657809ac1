"""Shapes of the webhook deliveries API."""

from __future__ import annotations

from datetime import datetime

import msgspec


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


class DeliveryList(msgspec.Struct):
    data: list[Delivery]


class RotatedSecret(msgspec.Struct, rename="camel"):
    webhook_secret: str
    previous_secret_expires_at: datetime

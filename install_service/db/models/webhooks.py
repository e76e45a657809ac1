"""The webhook outbox: one delivery per event, one attempt row per HTTP try."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from install_service.db.models.tenants import DEVELOPMENT

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"  # retries exhausted, or the receiver answered 410 Gone


class WebhookDelivery(UUIDv7AuditBase):
    """An event waiting for (or done with) delivery to the ISV's webhook URL.

    Written in the same transaction as the change it reports. ``message_id`` is the
    Standard Webhooks ``webhook-id``, identical on every attempt. ``environment`` is the
    environment of the end user the event is about: only that environment's API key sees
    the delivery. A worker that claims the delivery writes a fresh ``lease_token`` and
    ``locked_until``; it records the attempt's result only while both are still its own.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        # GET /webhooks/deliveries: one environment's deliveries, newest first, in keyset pages.
        Index("ix_webhook_delivery_isv_env_created", "isv_id", "environment", "created_at", "id"),
    )

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"), index=True)
    environment: Mapped[str] = mapped_column(String(20), server_default=DEVELOPMENT)
    event_type: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    payload: Mapped[str] = mapped_column(Text)  # the exact JSON body sent
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    lease_token: Mapped[str | None] = mapped_column(String(32), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    last_error: Mapped[str | None] = mapped_column(String(1000), default=None)

    attempts: Mapped[list[WebhookAttempt]] = relationship(
        back_populates="delivery", order_by="WebhookAttempt.attempted_at", lazy="selectin"
    )


class WebhookAttempt(UUIDv7AuditBase):
    """One HTTP try of a delivery."""

    __tablename__ = "webhook_attempt"

    delivery_id: Mapped[UUID] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    url: Mapped[str] = mapped_column(String(2048))
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    response_body: Mapped[str | None] = mapped_column(String(1024), default=None)  # first 1 KiB
    error: Mapped[str | None] = mapped_column(String(1000), default=None)

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="attempts")

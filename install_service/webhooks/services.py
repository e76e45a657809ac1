"""Reading and steering webhook deliveries, and rotating the ISV's signing secret."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.db.models import Isv, WebhookDelivery
from install_service.db.models.webhooks import DEAD, DELIVERED, PENDING
from install_service.errors import InvalidInput, NotFound
from install_service.ids import parse_id
from install_service.isvs.services import new_webhook_secret
from install_service.webhooks.outbox import mark_enqueued

STATUSES = (PENDING, DELIVERED, DEAD)
SECRET_OVERLAP = timedelta(hours=24)  # both secrets sign for this long after a rotation


async def list_deliveries(
    session: AsyncSession, isv: Isv, status: str | None, limit: int = 100
) -> list[WebhookDelivery]:
    """Newest first. Raises InvalidInput for an unknown ``status``."""
    query = select(WebhookDelivery).where(WebhookDelivery.isv_id == isv.id)
    if status:
        if status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
        query = query.where(WebhookDelivery.status == status)
    return list(
        (
            await session.scalars(query.order_by(WebhookDelivery.created_at.desc()).limit(limit))
        ).all()
    )


async def get_delivery(session: AsyncSession, isv: Isv, delivery_id: str) -> WebhookDelivery:
    """Raises NotFound for an unknown id or another ISV's delivery."""
    parsed = parse_id(delivery_id)
    delivery = parsed and await session.get(WebhookDelivery, parsed)
    if not delivery or delivery.isv_id != isv.id:
        raise NotFound("Delivery not found", code="delivery_not_found")
    return delivery


async def redeliver(session: AsyncSession, isv: Isv, delivery_id: str) -> WebhookDelivery:
    """Queue one more attempt now, with the same ``webhook-id`` (committed by the caller)."""
    delivery = await get_delivery(session, isv, delivery_id)
    delivery.status, delivery.next_attempt_at, delivery.locked_until = (
        PENDING,
        datetime.now(UTC),
        None,
    )
    mark_enqueued(session)
    return delivery


def rotate_secret(isv: Isv, now: datetime | None = None) -> tuple[str, datetime]:
    """A new ``whsec_`` secret; the old one keeps signing for 24 h (two ``v1,`` entries)."""
    expires = (now or datetime.now(UTC)) + SECRET_OVERLAP
    isv.previous_webhook_secret, isv.previous_webhook_secret_expires_at = (
        isv.webhook_secret,
        expires,
    )
    isv.webhook_secret = new_webhook_secret()
    return isv.webhook_secret, expires

"""Reading and steering webhook deliveries, and rotating the ISV's signing secret.

Deliveries belong to one environment of one ISV (that of the end user they are about):
every function here sees only the caller's, and answers another environment's or another
ISV's delivery id as unknown.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.db.models import Isv, WebhookDelivery
from install_service.db.models.webhooks import DEAD, DELIVERED, PENDING
from install_service.db.transactions import write_transaction
from install_service.error_codes import DELIVERY_NOT_FOUND
from install_service.errors import InvalidInput, NotFound
from install_service.ids import parse_id
from install_service.isvs.services import IsvContext, new_webhook_secret
from install_service.webhooks.outbox import mark_enqueued

STATUSES = (PENDING, DELIVERED, DEAD)
SECRET_OVERLAP = timedelta(hours=24)  # both secrets sign for this long after a rotation


async def list_deliveries(
    session: AsyncSession, caller: IsvContext, status: str | None, limit: int = 100
) -> list[WebhookDelivery]:
    """The caller's environment's deliveries, newest first, at most ``limit``.

    Raises:
        InvalidInput: an unknown ``status`` (not pending, delivered or dead).
    """
    query = select(WebhookDelivery).where(
        WebhookDelivery.isv_id == caller.isv.id,
        WebhookDelivery.environment == caller.environment,
    )
    if status:
        if status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
        query = query.where(WebhookDelivery.status == status)
    return list(
        (
            await session.scalars(query.order_by(WebhookDelivery.created_at.desc()).limit(limit))
        ).all()
    )


async def get_delivery(
    session: AsyncSession, caller: IsvContext, delivery_id: str
) -> WebhookDelivery:
    """One delivery of the caller's ISV and environment, with its attempts.

    Raises:
        NotFound (``delivery_not_found``): an unknown id, or a delivery of another ISV or
            of the caller's other environment.
    """
    parsed = parse_id(delivery_id)
    delivery = parsed and await session.get(WebhookDelivery, parsed)
    if (
        not delivery
        or delivery.isv_id != caller.isv.id
        or delivery.environment != caller.environment
    ):
        raise NotFound("Delivery not found", code=DELIVERY_NOT_FOUND)
    return delivery


async def redeliver(session: AsyncSession, caller: IsvContext, delivery_id: str) -> None:
    """Queue one more attempt now, with the same ``webhook-id``; commits.

    An attempt still in flight loses its lease and records nothing (the worker's rule).

    Raises:
        NotFound (``delivery_not_found``): as ``get_delivery``.
    """
    async with write_transaction(session):
        delivery = await get_delivery(session, caller, delivery_id)
        delivery.status, delivery.next_attempt_at = PENDING, datetime.now(UTC)
        delivery.locked_until, delivery.lease_token = None, None
        mark_enqueued(session)


async def rotate_secret(
    session: AsyncSession, isv: Isv, now: datetime | None = None
) -> tuple[str, datetime]:
    """A new ``whsec_`` secret and when the old one stops signing (24 h on); commits.

    Until then both sign every webhook (two ``v1,`` entries in ``webhook-signature``).
    """
    async with write_transaction(session):
        # Read the secret again under the write lock: a concurrent rotation's new secret
        # becomes the previous one instead of being lost.
        await session.refresh(isv, with_for_update=True)
        expires = (now or datetime.now(UTC)) + SECRET_OVERLAP
        isv.previous_webhook_secret, isv.previous_webhook_secret_expires_at = (
            isv.webhook_secret,
            expires,
        )
        isv.webhook_secret = new_webhook_secret()
    return isv.webhook_secret, expires

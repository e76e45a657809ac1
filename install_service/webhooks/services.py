"""Reading and steering webhook deliveries, and rotating the ISV's signing secret.

Deliveries belong to one environment of one ISV (that of the end user they are about):
every function here sees only the caller's, and answers another environment's or another
ISV's delivery id as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from install_service.db.models import Isv, WebhookDelivery
from install_service.db.models.webhooks import DEAD, DELIVERED, PENDING
from install_service.db.transactions import end_read, write_transaction
from install_service.error_codes import DELIVERY_NOT_FOUND
from install_service.errors import InvalidInput, NotFound
from install_service.http.pagination import keyset, page
from install_service.ids import parse_id
from install_service.isvs.services import IsvContext, get_isv, new_webhook_secret
from install_service.security.ssrf import UnsafeWebhookUrl, check_webhook_url
from install_service.webhooks.outbox import mark_enqueued

STATUSES = (PENDING, DELIVERED, DEAD)
SECRET_OVERLAP = timedelta(hours=24)  # both secrets sign for this long after a rotation
URL_SETTINGS = {"webhook_url": "webhookUrl", "error_webhook_url": "errorWebhookUrl"}


@dataclass(frozen=True, slots=True)
class WebhookUrls:
    """Where the ISV's webhooks go: ``error_webhook_url`` gets ``workflow.failed`` ones
    (None: ``webhook_url`` does), ``webhook_url`` every other (None: nothing is sent)."""

    webhook_url: str | None
    error_webhook_url: str | None


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    deliveries: list[WebhookDelivery]  # their attempts not loaded
    next_cursor: str | None


async def list_deliveries(
    session: AsyncSession,
    caller: IsvContext,
    status: str | None,
    *,
    limit: int = 100,
    cursor: str | None = None,
) -> DeliveryPage:
    """Up to ``limit`` of the caller's environment's deliveries, newest first, after
    ``cursor``; ``next_cursor`` is None on the last page.

    Raises:
        InvalidInput: an unknown ``status`` (not pending, delivered or dead);
            ``invalid_cursor``.
    """
    query = select(WebhookDelivery).where(
        WebhookDelivery.isv_id == caller.isv.id,
        WebhookDelivery.environment == caller.environment,
    )
    if status:
        if status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
        query = query.where(WebhookDelivery.status == status)
    query = keyset(query, WebhookDelivery, cursor, limit, newest_first=True)
    rows = list(await session.scalars(query.options(raiseload(WebhookDelivery.attempts))))
    return DeliveryPage(*page(rows, limit))


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
        await stage_redelivery(session, caller, delivery_id)


async def stage_redelivery(
    session: AsyncSession, caller: IsvContext, delivery_id: str
) -> WebhookDelivery:
    """``redeliver`` in the caller's (write) transaction. Raises as ``get_delivery``."""
    delivery = await get_delivery(session, caller, delivery_id)
    delivery.status, delivery.next_attempt_at = PENDING, datetime.now(UTC)
    delivery.locked_until, delivery.lease_token = None, None
    mark_enqueued(session)
    return delivery


async def rotate_secret(
    session: AsyncSession, isv: Isv, now: datetime | None = None
) -> tuple[str, datetime]:
    """A new ``whsec_`` secret and when the old one stops signing (24 h on); commits.

    Until then both sign every webhook (two ``v1,`` entries in ``webhook-signature``).
    """
    async with write_transaction(session):
        return await stage_secret_rotation(session, isv, now)


async def stage_secret_rotation(
    session: AsyncSession, isv: Isv, now: datetime | None = None
) -> tuple[str, datetime]:
    """``rotate_secret`` in the caller's (write) transaction."""
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


async def webhook_urls(session: AsyncSession, caller: IsvContext) -> WebhookUrls:
    """The caller's ISV's webhook URLs (those of both environments: they are the ISV's)."""
    await end_read(session)
    return WebhookUrls(caller.isv.webhook_url, caller.isv.error_webhook_url)


async def update_webhook_urls(
    session: AsyncSession,
    isv_ref: str,
    changes: Mapping[str, str | None],
    *,
    allow_private: bool,
) -> WebhookUrls:
    """Set the ISV ``isv_ref``'s URLs named in ``changes`` (keys ``webhook_url`` and
    ``error_webhook_url``; None or "" clears one, a key left out keeps it); commits.

    Every URL is checked first, outside the transaction (its host is resolved); nothing
    changes when one is refused.

    Raises:
        UnsafeWebhookUrl: as ``checked_webhook_urls``.
        NotFound: no such ISV (``isv_not_found``).
    """
    cleaned = await checked_webhook_urls(changes, allow_private=allow_private)
    async with write_transaction(session):
        return await stage_webhook_urls(session, await get_isv(session, isv_ref), cleaned)


async def checked_webhook_urls(
    changes: Mapping[str, str | None], *, allow_private: bool
) -> dict[str, str | None]:
    """``changes`` (keys ``webhook_url``, ``error_webhook_url``) stripped, "" as None, each
    URL checked by the SSRF guard (``security.ssrf.check_webhook_url``: its host resolved).

    Raises:
        UnsafeWebhookUrl: a URL that is not absolute http(s), or whose host resolves to a
            refused address unless ``allow_private`` (``unsafe_webhook_url``, 422); the
            message starts with the setting's name (``webhookUrl``, ``errorWebhookUrl``).
    """
    unknown = set(changes) - set(URL_SETTINGS)
    if unknown:
        raise ValueError(f"not webhook URL settings: {', '.join(sorted(unknown))}")
    cleaned = {key: (url or "").strip() or None for key, url in changes.items()}
    for key, url in cleaned.items():
        try:
            await check_webhook_url(url, allow_private=allow_private)
        except UnsafeWebhookUrl as exc:
            raise UnsafeWebhookUrl(f"{URL_SETTINGS[key]}: {exc.message}") from exc
    return cleaned


async def stage_webhook_urls(
    session: AsyncSession, isv: Isv, cleaned: Mapping[str, str | None]
) -> WebhookUrls:
    """Set the URLs of ``checked_webhook_urls`` in the caller's (write) transaction."""
    await session.refresh(isv, with_for_update=True)  # the other URL as it is now
    for key, url in cleaned.items():
        setattr(isv, key, url)
    return WebhookUrls(isv.webhook_url, isv.error_webhook_url)

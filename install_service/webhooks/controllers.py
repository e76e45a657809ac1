"""ISV API: webhook deliveries (with every attempt), redelivery, and secret rotation."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post, put
from litestar.di import Provide
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.db.models import WebhookDelivery
from install_service.http.pagination import page_size
from install_service.isvs.dependencies import provide_isv
from install_service.isvs.services import IsvContext
from install_service.responses import Success
from install_service.settings import Settings
from install_service.webhooks import services
from install_service.webhooks.schemas import (
    Attempt,
    Delivery,
    DeliveryList,
    RotatedSecret,
    WebhookSettings,
    WebhookSettingsUpdate,
)


def _delivery(row: WebhookDelivery, *, with_attempts: bool = False) -> Delivery:
    return Delivery(
        delivery_id=str(row.id),
        webhook_id=row.message_id,
        event_type=row.event_type,
        status=row.status,
        attempt_count=row.attempt_count,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
        created_at=row.created_at,
        payload=row.payload,
        attempts=[
            Attempt(
                attempted_at=a.attempted_at,
                url=a.url,
                status_code=a.status_code,
                latency_ms=a.latency_ms,
                response_body=a.response_body,
                error=a.error,
            )
            for a in row.attempts
        ]
        if with_attempts
        else None,
    )


def _settings(urls: services.WebhookUrls) -> WebhookSettings:
    return WebhookSettings(webhook_url=urls.webhook_url, error_webhook_url=urls.error_webhook_url)


class WebhooksController(Controller):
    path = "/webhooks"
    tags = ["Webhooks"]
    dependencies = {"isv": Provide(provide_isv)}

    @get("/deliveries", summary="List webhook deliveries")
    async def list_deliveries(
        self,
        isv: IsvContext,
        db_session: AsyncSession,
        status: Annotated[str | None, QueryParameter(name="status")] = None,
        limit: Annotated[str | None, QueryParameter(name="limit")] = None,
        cursor: Annotated[str | None, QueryParameter(name="cursor")] = None,
    ) -> DeliveryList:
        """``{"data", "nextCursor"}``: the caller's environment's deliveries (without their
        attempts), newest first; ``status`` is pending, delivered or dead (422 otherwise);
        ``limit`` 1 to 1000 (default 100, else 422); pass ``nextCursor`` back as ``cursor``
        (null on the last page)."""
        page = await services.list_deliveries(
            db_session, isv, status, limit=page_size(limit), cursor=cursor
        )
        return DeliveryList(
            data=[_delivery(r) for r in page.deliveries], next_cursor=page.next_cursor
        )

    @get("/deliveries/{delivery_id:str}", summary="One delivery with its attempts")
    async def get_delivery(
        self, delivery_id: str, isv: IsvContext, db_session: AsyncSession
    ) -> Delivery:
        return _delivery(
            await services.get_delivery(db_session, isv, delivery_id), with_attempts=True
        )

    @post("/deliveries/{delivery_id:str}/redeliver", status_code=202, summary="Send again now")
    async def redeliver(
        self, delivery_id: str, isv: IsvContext, db_session: AsyncSession
    ) -> Success:
        """202 ``{"success": true}``: one more attempt now, with the same ``webhook-id``."""
        await services.redeliver(db_session, isv, delivery_id)
        return Success()

    @post("/secret/rotate", status_code=200, summary="Rotate the webhook signing secret")
    async def rotate_secret(self, isv: IsvContext, db_session: AsyncSession) -> RotatedSecret:
        """A new ``whsec_`` secret, shown once; the old one keeps signing for 24 h."""
        secret, expires = await services.rotate_secret(db_session, isv.isv)
        return RotatedSecret(webhook_secret=secret, previous_secret_expires_at=expires)

    @get("/settings", summary="Where webhooks go")
    async def get_settings(self, isv: IsvContext, db_session: AsyncSession) -> WebhookSettings:
        """``{"webhookUrl", "errorWebhookUrl"}``; ``workflow.failed`` webhooks go to
        ``errorWebhookUrl``, or to ``webhookUrl`` while it is null."""
        return _settings(await services.webhook_urls(db_session, isv))

    @put("/settings", summary="Change where webhooks go")
    async def update_settings(
        self,
        data: WebhookSettingsUpdate,
        isv: IsvContext,
        db_session: AsyncSession,
        settings: Settings,
    ) -> WebhookSettings:
        """Sets the URLs given (null clears one; a key left out is kept) and answers the
        settings. 422 ``unsafe_webhook_url`` for a URL that is not absolute http(s) or
        reaches a non-global address; nothing changes then."""
        changes = {
            key: value
            for key, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        urls = await services.update_webhook_urls(
            db_session, str(isv.isv.id), changes, allow_private=settings.webhook_allow_private
        )
        return _settings(urls)

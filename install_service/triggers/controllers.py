"""App callbacks: ``POST /triggers/{app}/{subscriptionId}``, the destination each webhook
subscription gives the app (BigCommerce posts its order events here)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, post
from msgspec import Struct
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.triggers import services

MAX_CALLBACK_BYTES = 64 * 1024  # BigCommerce's callbacks are a few hundred bytes


class CallbackAccepted(Struct, rename="camel"):
    success: bool
    execution_ids: list[str]


class TriggerCallbackController(Controller):
    path = "/triggers"
    tags = ["App triggers"]

    @post(
        "/{app:str}/{subscription_id:uuid}",
        status_code=200,
        summary="Receive an app's webhook callback",
        request_max_body_size=MAX_CALLBACK_BYTES,
    )
    async def callback(
        self, app: str, subscription_id: UUID, request: Request, db_session: AsyncSession
    ) -> CallbackAccepted:
        """200 ``{"success": true, "executionIds": [...]}`` once the runs are durably queued
        (``[]`` for a redelivery). 401 ``hook_secret_missing``, 403 ``hook_secret_invalid``,
        404 ``subscription_not_found``, 400 ``invalid_callback``: nothing runs."""
        ids = await services.accept_callback(
            db_session, app, subscription_id, request.headers, await request.body()
        )
        return CallbackAccepted(success=True, execution_ids=ids)

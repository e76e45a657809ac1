"""ISV API: the integrations an end user can install (Alloy Quick Start, "Listing Integrations")."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.catalog import services
from install_service.catalog.schemas import IntegrationList, IntegrationListing
from install_service.enduser.dependencies import Caller, provide_caller
from install_service.isvs.dependencies import provide_isv
from install_service.isvs.services import IsvContext
from install_service.settings import Settings
from install_service.users.dependencies import UserIdQuery, required_user


class IntegrationsController(Controller):
    tags = ["Integrations"]
    dependencies = {"isv": Provide(provide_isv)}

    @get(
        "/integrations",
        summary="List integrations for a user",
        dependencies={"caller": Provide(provide_caller)},
    )
    async def list_integrations(
        self,
        caller: Caller,
        db_session: AsyncSession,
        settings: Settings,
        user_id: UserIdQuery = None,
    ) -> IntegrationList:
        """``{"data": [integration]}`` with ``installed``/``installedVersion`` for ``userId``
        (API key) or for the token's user (``x-alloy-user-token``, the end-user API)."""
        user = await caller.end_user(db_session, user_id)
        return IntegrationList(
            data=await services.list_integrations(
                db_session, caller.isv.isv.id, user, settings.public_url
            )
        )

    @get("/integrations/{integration_id:str}", summary="Get one integration for a user")
    async def get_integration(
        self,
        integration_id: str,
        isv: IsvContext,
        db_session: AsyncSession,
        settings: Settings,
        user_id: UserIdQuery = None,
    ) -> IntegrationListing:
        user = await required_user(db_session, isv, user_id)
        integration = await services.get_integration(db_session, isv.isv.id, integration_id)
        installation = await services.installation_for(db_session, user, integration)
        return services.describe(integration, installation, settings.public_url)

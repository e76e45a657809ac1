"""ISV API: the connector catalogue (which apps exist, and what a credential for each needs)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import Provide

from install_service.apps import services
from install_service.apps.schemas import AppList
from install_service.isvs.dependencies import provide_isv
from install_service.isvs.services import IsvContext
from install_service.settings import Settings


class AppsController(Controller):
    tags = ["Apps"]
    dependencies = {"isv": Provide(provide_isv)}

    @get("/apps", summary="List the apps an end user can connect")
    async def list_apps(self, isv: IsvContext, settings: Settings) -> AppList:
        """``{"data": [{"app", "name", "icon", "authType", "fields"}]}``; ``fields`` describe
        what ``POST /users/{userId}/credentials`` needs. ``isv`` is asked for so that the
        route needs an API key (401 without one), like the rest of the ISV API."""
        return AppList(data=services.list_apps(settings.public_url))

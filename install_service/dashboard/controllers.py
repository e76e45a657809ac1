"""The dashboard's signed-in pages and its router: sign-out, the environment switch,
Integrations (with each integration's Workflows and Installations tabs) and the audit log.

Each handler reads its input, makes one service call and renders a template; who is
signed in comes from ``provide_staff``. An HTMX request for a tab gets the tab's fragment,
a plain request the full page that includes it, so every link works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Router, get, post
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.dashboard import services
from install_service.dashboard.dependencies import (
    HOME,
    SignedIn,
    SignInRequired,
    provide_staff,
    require_session,
    safe_next,
)
from install_service.dashboard.edge import (
    csrf_config,
    http_error_page,
    service_error_page,
    to_sign_in,
)
from install_service.dashboard.editor_controllers import EditorController
from install_service.dashboard.forms import FormData, form_value
from install_service.dashboard.installation_controllers import InstallationController
from install_service.dashboard.layout import is_fragment, page
from install_service.dashboard.logs_controllers import LogsController
from install_service.dashboard.sessions import session_config
from install_service.dashboard.settings_controllers import SettingsController
from install_service.dashboard.share_controllers import ShareController
from install_service.dashboard.sign_in_controllers import SignInController
from install_service.dashboard.throttle import SignInFailures
from install_service.errors import NotFound, ServiceError
from install_service.security.keys import KeyRing
from install_service.settings import Settings
from install_service.staff import services as staff_services


class DashboardController(Controller):
    """Every page behind sign-in (``require_session`` here, ``provide_staff`` in full)."""

    guards = [require_session]

    @get("/")
    async def home(self, staff: SignedIn) -> Redirect:
        return Redirect(f"{HOME}/integrations", status_code=303)

    @post("/sign-out", status_code=303)
    async def sign_out(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, staff: SignedIn
    ) -> Redirect:
        """End the session (its row is deleted, the cookie cleared) and go to sign-in."""
        await staff_services.sign_out(db_session, staff.account, staff.environment)
        request.clear_session()
        return Redirect(f"{HOME}/sign-in", status_code=303)

    @post("/environment", status_code=303)
    async def switch_environment(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        staff: SignedIn,
        data: FormData,
    ) -> Redirect:
        """Switch between development and production; back to ``next``.

        Raises:
            InvalidInput: an unknown environment (422 page).
        """
        environment = await services.switch_environment(
            db_session, staff, form_value(data, "environment")
        )
        request.session["environment"] = environment
        return Redirect(safe_next(form_value(data, "next")), status_code=303)

    @get("/integrations")
    async def integrations(self, db_session: AsyncSession, staff: SignedIn) -> Template:
        cards = await services.list_integration_cards(db_session, staff.isv.id)
        return page("dashboard/integrations.html", staff, "integrations", cards=cards)

    @get("/integrations/{integration_id:str}")
    async def integration(
        self, request: HTMXRequest, db_session: AsyncSession, staff: SignedIn, integration_id: str
    ) -> Template:
        """The integration page on its **Workflows** tab: each workflow's versions and status."""
        detail = await services.integration_page(db_session, staff.isv.id, integration_id)
        template = (
            "dashboard/_workflows_tab.html"
            if is_fragment(request)
            else "dashboard/integration.html"
        )
        return page(template, staff, "integrations", detail=detail, tab="workflows")

    @get("/integrations/{integration_id:str}/installations")
    async def installations(
        self,
        request: HTMXRequest,
        db_session: AsyncSession,
        staff: SignedIn,
        integration_id: str,
        cursor: str | None = None,
        username: str = "",
    ) -> Template:
        """The **Installations** tab: who installed, when, and each workflow's version;
        ``username`` keeps those whose username starts with it (the search field's htmx
        request, whose target is ``installation-results``, gets the results alone)."""
        detail, installations = await services.integration_installations(
            db_session, staff, integration_id, cursor, username
        )
        template = (
            "dashboard/integration.html"
            if not is_fragment(request)
            else "dashboard/_installation_results.html"
            if request.htmx.target == "installation-results"
            else "dashboard/_installations_tab.html"
        )
        return page(
            template,
            staff,
            "integrations",
            detail=detail,
            tab="installations",
            installations=installations,
            cursor=cursor,
            username=username.strip(),
        )

    @get("/audit")
    async def audit(
        self, db_session: AsyncSession, staff: SignedIn, cursor: str | None = None
    ) -> Template:
        """The audit log, newest first, 50 a page."""
        entries = await services.audit_page(db_session, staff, cursor)
        return page("dashboard/audit.html", staff, "audit", entries=entries, cursor=cursor)

    @get("/{unknown:path}")
    async def unknown_page(self, staff: SignedIn, unknown: str) -> Template:
        """Any other /dashboard path, signed in: the readable 404 page, not the API's JSON.

        Raises:
            NotFound: always.
        """
        raise NotFound("No such dashboard page")


def dashboard_router(settings: Settings, keys: KeyRing) -> Router:
    """Every dashboard route under ``/dashboard`` with its session and CSRF middleware, its
    dependencies (``staff``: the signed-in ``SignedIn``) and its error pages (``edge``).

    A new dashboard page: a handler on ``DashboardController`` (or a controller with
    ``guards = [require_session]`` added here) that takes ``staff: SignedIn``, looks rows up
    by ``(staff.isv.id, id)``, and calls ``audit.services.record`` in any change it makes."""
    failures = SignInFailures(settings.rate_limit_sign_in)
    secure = settings.public_url.startswith("https://")
    return Router(
        path="/dashboard",
        route_handlers=[
            SignInController,
            InstallationController,
            EditorController,
            ShareController,
            LogsController,
            SettingsController,
            DashboardController,
        ],
        middleware=[
            session_config(secure).middleware,
            DefineMiddleware(CSRFMiddleware, config=csrf_config(settings, keys)),
        ],
        dependencies={
            "staff": Provide(provide_staff),
            "sign_in_failures": Provide(lambda: failures, sync_to_thread=False),
        },
        exception_handlers={
            SignInRequired: to_sign_in,
            ServiceError: service_error_page,
            HTTPException: http_error_page,
        },
        include_in_schema=False,
    )

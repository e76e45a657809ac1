"""**Settings** (nav): webhook URLs, allowed origins, the webhook secret, the API keys of
each environment and the webhook deliveries. A refused change re-renders the page with
the message beside its field and the values typed (422); a change that is made redirects
back (303) to the page, which says what changed. Rotations ask for confirmation first
(a page of their own), and show the new secret or key once."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.dashboard import settings_services as services
from install_service.dashboard.dependencies import SignedIn, require_session
from install_service.dashboard.forms import FormData, form_value
from install_service.dashboard.layout import page
from install_service.settings import Settings

HOME = "/dashboard/settings"
DONE = {
    "webhook_urls": "Webhook URLs saved.",
    "origin_added": "Allowed origin added.",
    "origin_removed": "Allowed origin removed.",
    "redelivered": "Delivery queued: it is sent again now.",
}


def _page(view: services.SettingsView, staff: SignedIn, done: str | None = None) -> Template:
    return page(
        "dashboard/settings.html",
        staff,
        "settings",
        status_code=422 if view.errors else 200,
        view=view,
        done=DONE.get(done or ""),
    )


def _back(view: services.SettingsView | None, staff: SignedIn, done: str) -> Template | Redirect:
    if view is not None:
        return _page(view, staff)
    return Redirect(f"{HOME}?done={done}", status_code=303)


class SettingsController(Controller):
    """``/dashboard/settings``."""

    path = "/settings"
    guards = [require_session]

    @get("/")
    async def settings(
        self,
        db_session: AsyncSession,
        staff: SignedIn,
        cursor: str | None = None,
        done: str | None = None,
    ) -> Template:
        """The settings; ``done`` names a change just made; ``cursor`` pages deliveries."""
        return _page(await services.settings_page(db_session, staff, cursor), staff, done)

    @post("/webhooks", status_code=303)
    async def save_webhooks(
        self, db_session: AsyncSession, staff: SignedIn, settings: Settings, data: FormData
    ) -> Template | Redirect:
        """**Webhook URL** and **Error webhook URL** (empty clears one); an unsafe URL is
        refused beside its field (422) and nothing changes."""
        values = {key: form_value(data, key) for key in ("webhook_url", "error_webhook_url")}
        view = await services.save_webhook_urls(
            db_session, staff, values, allow_private=settings.webhook_allow_private
        )
        return _back(view, staff, "webhook_urls")

    @post("/origins", status_code=303)
    async def add_origin(
        self, db_session: AsyncSession, staff: SignedIn, data: FormData
    ) -> Template | Redirect:
        view = await services.add_origin(db_session, staff, form_value(data, "origin"))
        return _back(view, staff, "origin_added")

    @post("/origins/remove", status_code=303)
    async def remove_origin(
        self, db_session: AsyncSession, staff: SignedIn, data: FormData
    ) -> Redirect:
        await services.remove_origin(db_session, staff, form_value(data, "origin"))
        return Redirect(f"{HOME}?done=origin_removed", status_code=303)

    @get("/webhook-secret/rotate")
    async def confirm_secret_rotation(self, staff: SignedIn) -> Template:
        """The confirmation step before **Rotate webhook secret**."""
        return page("dashboard/settings_confirm.html", staff, "settings", what="secret")

    @post("/webhook-secret/rotate", status_code=200)
    async def rotate_secret(self, db_session: AsyncSession, staff: SignedIn) -> Template:
        """The new ``whsec_`` secret, shown this once."""
        secret, expires = await services.rotate_webhook_secret(db_session, staff)
        return page(
            "dashboard/settings_secret.html",
            staff,
            "settings",
            what="secret",
            secret=secret,
            expires=expires,
        )

    @get("/api-keys/{environment:str}/rotate")
    async def confirm_key_rotation(self, staff: SignedIn, environment: str) -> Template:
        """The confirmation step before rotating ``environment``'s API key.

        Raises:
            InvalidInput: not "development" or "production" (422 page).
        """
        return page(
            "dashboard/settings_confirm.html",
            staff,
            "settings",
            what="key",
            environment=services.check_environment(environment),
        )

    @post("/api-keys/{environment:str}/rotate", status_code=200)
    async def rotate_key(
        self, db_session: AsyncSession, staff: SignedIn, environment: str
    ) -> Template:
        """The environment's new API key, shown this once; the old one answers 401 from now."""
        key = await services.rotate_api_key(db_session, staff, environment)
        return page(
            "dashboard/settings_secret.html",
            staff,
            "settings",
            what="key",
            environment=environment,
            secret=key,
        )

    @post("/deliveries/{delivery_id:str}/redeliver", status_code=303)
    async def redeliver(
        self, db_session: AsyncSession, staff: SignedIn, delivery_id: str
    ) -> Redirect:
        """**Redeliver**: one more attempt now.

        Raises:
            NotFound: an unknown delivery, or another ISV's or environment's (404 page).
        """
        await services.redeliver(db_session, staff, delivery_id)
        return Redirect(f"{HOME}?done=redelivered#deliveries", status_code=303)

"""**Share** on an integration's page: pick an end user (htmx search by username prefix)
or **Share it with a new user** (an **Email**), an **Expiration Time** in days, then
**Generate Link** shows the Alloy Link with a Copy button. Without JavaScript the same
form posts and the page comes back whole."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.dashboard import share_services as services
from install_service.dashboard.dependencies import SignedIn, require_session
from install_service.dashboard.forms import FormData, form_value
from install_service.dashboard.layout import is_fragment, page
from install_service.links.tokens import LinkTokens
from install_service.settings import Settings


def _render(
    request: HTMXRequest, staff: SignedIn, fragment: str, view: services.ShareView
) -> Template:
    return page(
        fragment if is_fragment(request) else "dashboard/share.html",
        staff,
        "integrations",
        status_code=422 if view.errors else 200,
        view=view,
        search_limit=services.SEARCH_LIMIT,
        max_days=services.MAX_DAYS,
    )


class ShareController(Controller):
    """``/dashboard/integrations/{integration_id}/share``."""

    path = "/integrations/{integration_id:str}/share"
    guards = [require_session]

    @get("/")
    async def form(
        self,
        request: HTMXRequest,
        db_session: AsyncSession,
        staff: SignedIn,
        integration_id: str,
        q: str = "",
    ) -> Template:
        """The Share form; an htmx search (``q``: a username prefix) gets the matching users
        only (``dashboard/_share_search.html``).

        Raises:
            NotFound: unknown integration, or another ISV's (404 page).
        """
        view = await services.share_page(db_session, staff, integration_id, q)
        return _render(request, staff, "dashboard/_share_search.html", view)

    @post("/", status_code=200)
    async def generate(
        self,
        request: HTMXRequest,
        db_session: AsyncSession,
        staff: SignedIn,
        settings: Settings,
        link_tokens: LinkTokens,
        integration_id: str,
        data: FormData,
    ) -> Template:
        """**Generate Link**: the link and its Copy button, or the form again with each
        refused field's message (422; nothing created). htmx gets the panel only."""
        form = services.ShareForm(
            mode=form_value(data, "mode") or services.EXISTING,
            user_id=form_value(data, "user_id"),
            email=form_value(data, "email"),
            days=form_value(data, "days"),
        )
        view = await services.submit_share(
            db_session,
            staff,
            integration_id,
            form,
            tokens=link_tokens,
            public_url=settings.public_url,
        )
        return _render(request, staff, "dashboard/_share_panel.html", view)

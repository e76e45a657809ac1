"""The Installation Manager's detail page: one installation's user and workflows, each
with its installed version, the activate / deactivate switch and a link to its logs.

Each handler reads its input, makes one service call (``installation_services``) and
renders a template or redirects (303, post/redirect/get); an htmx switch gets the
workflows table back in place.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.dashboard import block_forms, installation_services, layout
from install_service.dashboard.dependencies import HOME, SignedIn, require_session
from install_service.dashboard.forms import FormData, form_value

# The Installation Manager's paths under /dashboard (the editor's too: editor_controllers).
INSTALLATION = "/installations/{installation_id:str}"
EDITOR = INSTALLATION + "/workflows/{workflow_id:str}"
VERSION = EDITOR + "/versions/{version_id:str}"


def page(template: str, staff: SignedIn, status_code: int = 200, **context: Any) -> Template:
    """A page in the dashboard layout, under the Integrations nav link, with the editor's
    block types."""
    return layout.page(
        template,
        staff,
        "integrations",
        status_code=status_code,
        block_types=block_forms.BLOCK_TYPES,
        **context,
    )


class InstallationController(Controller):
    """``/dashboard/installations/{id}``: the installation's detail page and its switches."""

    guards = [require_session]

    @get(INSTALLATION)
    async def detail(
        self, db_session: AsyncSession, staff: SignedIn, installation_id: str
    ) -> Template:
        """Its user, and each workflow with the installed version, state and links."""
        detail = await installation_services.installation_detail(db_session, staff, installation_id)
        return page("dashboard/installation.html", staff, detail=detail)

    @post(INSTALLATION + "/workflows/{workflow_id:str}/active", status_code=303)
    async def set_active(
        self,
        request: HTMXRequest,
        db_session: AsyncSession,
        staff: SignedIn,
        installation_id: str,
        workflow_id: str,
        data: FormData,
    ) -> Redirect | Template:
        """``active=true`` activates, anything else deactivates; back to the detail page (an
        htmx request gets the workflows table, with a status line, in place)."""
        active = form_value(data, "active") == "true"
        await installation_services.set_workflow_active(
            db_session, staff, installation_id, workflow_id, active
        )
        if request.htmx:
            detail = await installation_services.installation_detail(
                db_session, staff, installation_id
            )
            return page(
                "dashboard/_installation_workflows.html",
                staff,
                detail=detail,
                changed=workflow_id,
            )
        return Redirect(f"{HOME}/installations/{installation_id}", status_code=303)

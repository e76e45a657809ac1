"""**Logs** (nav): pick a workflow and an end user, see their executions newest first with
each block's result and error, the errors list, and **Rerun** an execution."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.dashboard import logs_services as services
from install_service.dashboard.dependencies import SignedIn, require_session
from install_service.dashboard.forms import FormData, form_value
from install_service.dashboard.layout import page


def logs_url(workflow_id: str, user: str, **more: str) -> str:
    return "/dashboard/logs?" + urlencode({"workflow_id": workflow_id, "user": user, **more})


class LogsController(Controller):
    """``/dashboard/logs``."""

    path = "/logs"
    guards = [require_session]

    @get("/")
    async def logs(
        self,
        db_session: AsyncSession,
        staff: SignedIn,
        workflow_id: str | None = None,
        user: str | None = None,
        cursor: str | None = None,
        rerun: str | None = None,
    ) -> Template:
        """The pickers, and for a workflow and a user (username or userId) their executions
        (20 a page, ``cursor``) and errors; ``rerun`` names an execution just queued.

        Raises:
            NotFound: another ISV's (or an unknown) workflow (404 page).
            InvalidInput: a cursor this page did not make (422 page).
        """
        view = await services.logs_page(db_session, staff, workflow_id, user, cursor)
        return page(
            "dashboard/logs.html",
            staff,
            "logs",
            status_code=404 if view.user_error else 200,
            view=view,
            cursor=cursor,
            rerun=rerun,
            logs_url=logs_url,
        )

    @post("/rerun", status_code=303)
    async def rerun(self, db_session: AsyncSession, staff: SignedIn, data: FormData) -> Redirect:
        """**Rerun** (``workflow_id``, ``user``, ``execution_id``): back to the logs, which
        name the new execution.

        Raises:
            NotFound: an unknown or another ISV's workflow, user or execution (404 page).
        """
        workflow_id, user = form_value(data, "workflow_id"), form_value(data, "user")
        new_id = await services.rerun(
            db_session, staff, workflow_id, user, form_value(data, "execution_id")
        )
        return Redirect(logs_url(workflow_id, user, rerun=new_id), status_code=303)

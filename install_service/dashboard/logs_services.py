"""**Logs**: one workflow's executions for one end user (the API's ``executions.services``),
each block's result and error, the failed ones as the errors list, and **Rerun**."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.audit.services import record
from install_service.dashboard.dependencies import SignedIn
from install_service.db.models import Execution, Integration, Workflow
from install_service.db.transactions import write_transaction
from install_service.errors import NotFound
from install_service.executions.services import ExecutionPage, list_executions, stage_rerun
from install_service.runtime.runner import enqueue
from install_service.users.services import search_users
from install_service.workflows.services import find_workflow

PAGE_SIZE = 20  # executions a page, as GET /workflows/{id}/logs
ERRORS_SHOWN = 20
USER_CHOICES = 50  # usernames offered as suggestions


@dataclass(frozen=True, slots=True)
class LogsView:
    """The pickers (the ISV's integrations with their workflows, some usernames), and once a
    workflow and a user are chosen, a page of executions and the latest failed ones."""

    integrations: list[Integration]
    usernames: list[str]
    workflow: Workflow | None = None
    user_ref: str = ""
    executions: ExecutionPage | None = None
    errors: list[Execution] = field(default_factory=list)
    user_error: str | None = None


async def logs_page(
    session: AsyncSession,
    staff: SignedIn,
    workflow_id: str | None,
    user_ref: str | None,
    cursor: str | None,
) -> LogsView:
    """The Logs page; with ``workflow_id`` and ``user_ref`` (a username or userId of the
    session's environment), the user's executions newest first, 20 a page after ``cursor``,
    and their latest 20 failures. An unknown user is a message on the page (``user_error``).

    Raises:
        NotFound: ``workflow_not_found`` (unknown, or another ISV's workflow).
        InvalidInput: ``invalid_cursor`` (422).
    """
    integrations = list(
        await session.scalars(
            select(Integration)
            .where(Integration.isv_id == staff.isv.id)
            .order_by(Integration.created_at)
        )
    )
    users = await search_users(session, staff.isv_context, "", limit=USER_CHOICES)
    usernames = [u.username for u in users]
    user_ref = (user_ref or "").strip()
    if not workflow_id:
        return LogsView(integrations, usernames, user_ref=user_ref)
    workflow = await find_workflow(session, staff.isv.id, workflow_id)
    if not user_ref:
        return LogsView(integrations, usernames, workflow, user_ref)
    ctx = staff.isv_context
    try:
        executions = await list_executions(
            session, ctx, str(workflow.id), user_ref, limit=PAGE_SIZE, cursor=cursor
        )
        failed = await list_executions(
            session, ctx, str(workflow.id), user_ref, limit=ERRORS_SHOWN, cursor=None,
            failed_only=True,
        )  # fmt: skip
    except NotFound as exc:
        if exc.code != error_codes.USER_NOT_FOUND:
            raise
        return LogsView(
            integrations,
            usernames,
            workflow,
            user_ref,
            user_error=f"No end user {user_ref!r} in the {staff.environment} environment.",
        )
    return LogsView(integrations, usernames, workflow, user_ref, executions, failed.executions)


async def rerun(
    session: AsyncSession, staff: SignedIn, workflow_id: str, user_ref: str, execution_id: str
) -> str:
    """Run ``execution_id`` again (``executions.services.stage_rerun``: same trigger data,
    the version the user has installed now) and record ``execution.rerun`` in the same
    transaction; returns the new execution's id once it is durably queued.

    Raises:
        NotFound: ``user_not_found``, ``workflow_not_found``, ``workflow_not_installed``,
            ``execution_not_found`` (another ISV's or environment's ids included).
    """
    async with write_transaction(session):
        job = await stage_rerun(session, staff.isv_context, workflow_id, execution_id, user_ref)
        record(
            session,
            staff.account,
            "execution.rerun",
            environment=staff.environment,
            target_type="execution",
            target_id=execution_id,
            after={"executionId": job.execution_id},
        )
    await enqueue([job])
    return job.execution_id

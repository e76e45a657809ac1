"""Reading and forgetting executions: logs, errors, rerun, analytics and the GDPR purge.

Everything is scoped to the API key's ISV and environment: another environment's user is
unknown (404), and analytics count only this environment's executions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.db.models import EventReceipt, Execution
from install_service.db.models.executions import FAILED
from install_service.db.transactions import end_read, write_transaction
from install_service.errors import NotFound
from install_service.http.pagination import decode_cursor, encode_cursor
from install_service.ids import parse_id
from install_service.isvs.services import IsvContext
from install_service.runtime.retention import forget_runs
from install_service.runtime.runner import Job, enqueue
from install_service.users.services import get_user
from install_service.workflows.services import find_workflow, installed_copy

ANALYTICS_DAYS = 30


@dataclass(frozen=True, slots=True)
class ExecutionPage:
    executions: list[Execution]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Analytics:
    total_runs: int
    total_app_actions: int
    total_errors: int
    days: list[tuple[date, int, int, int]]  # (day, runs, app actions, errors), oldest first


async def list_executions(
    session: AsyncSession,
    ctx: IsvContext,
    workflow_ref: str,
    user_ref: str,
    *,
    limit: int,
    cursor: str | None,
    failed_only: bool = False,
) -> ExecutionPage:
    """The user's executions of the workflow, newest first, ``limit`` per page.

    Raises:
        NotFound: ``user_not_found``, ``workflow_not_found``.
        InvalidInput: ``invalid_cursor``.
    """
    user = await get_user(session, ctx, user_ref)
    workflow = await find_workflow(session, ctx.isv.id, workflow_ref)
    query = select(Execution).where(
        Execution.workflow_id == workflow.id, Execution.user_id == user.id
    )
    if failed_only:
        query = query.where(Execution.status == FAILED)
    if (after := decode_cursor(cursor)) is not None:
        created_at, row_id = after
        query = query.where(
            (Execution.created_at < created_at)
            | ((Execution.created_at == created_at) & (Execution.id < row_id))
        )
    rows = list(
        await session.scalars(
            query.order_by(Execution.created_at.desc(), Execution.id.desc()).limit(limit + 1)
        )
    )
    await end_read(session)
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more else None
    return ExecutionPage(page, next_cursor)


async def rerun(
    session: AsyncSession, ctx: IsvContext, workflow_ref: str, execution_ref: str, user_ref: str
) -> str:
    """A new execution with the trigger data of ``execution_ref``, on the version the user
    has installed now; returns its id once it is durably queued.

    Raises:
        NotFound: ``user_not_found``, ``workflow_not_found``, ``workflow_not_installed``,
            ``execution_not_found`` (unknown, or not this user's run of this workflow).
    """
    async with write_transaction(session):
        job = await stage_rerun(session, ctx, workflow_ref, execution_ref, user_ref)
    await enqueue([job])
    return job.execution_id


async def stage_rerun(
    session: AsyncSession, ctx: IsvContext, workflow_ref: str, execution_ref: str, user_ref: str
) -> Job:
    """``rerun``'s queued execution, added in the caller's (write) transaction; after the
    commit the caller hands the job to ``runtime.runner.enqueue``. Raises as ``rerun``."""
    user = await get_user(session, ctx, user_ref)
    workflow = await find_workflow(session, ctx.isv.id, workflow_ref)
    execution_id = parse_id(execution_ref)
    original = await session.get(Execution, execution_id) if execution_id else None
    if original is None or original.workflow_id != workflow.id or original.user_id != user.id:
        raise NotFound("Execution not found", code=error_codes.EXECUTION_NOT_FOUND)
    installed = await installed_copy(session, user, workflow)
    job = Job.start(user, installed, original.trigger)
    session.add(job.queued(user.environment, original.event, rerun_of=original.id))
    return job


async def analytics(
    session: AsyncSession, ctx: IsvContext, workflow_ref: str, *, today: date | None = None
) -> Analytics:
    """Runs, app actions and errors of the workflow per UTC day over the last 30 days
    (today included), across this environment's users.

    Raises:
        NotFound: ``workflow_not_found``.
    """
    workflow = await find_workflow(session, ctx.isv.id, workflow_ref)
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=ANALYTICS_DAYS - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    rows = await session.execute(
        select(Execution.created_at, Execution.app_actions, Execution.status).where(
            Execution.workflow_id == workflow.id,
            Execution.environment == ctx.environment,
            Execution.created_at >= since,
        )
    )
    runs, actions, errors = Counter(), Counter(), Counter()
    for created_at, app_actions, status in rows:
        day = created_at.astimezone(UTC).date()
        runs[day] += 1
        actions[day] += app_actions
        errors[day] += status == FAILED
    await end_read(session)
    days = [first + timedelta(days=n) for n in range(ANALYTICS_DAYS)]
    return Analytics(
        total_runs=sum(runs.values()),
        total_app_actions=sum(actions.values()),
        total_errors=sum(errors.values()),
        days=[(d, runs[d], actions[d], errors[d]) for d in days],
    )


async def purge_user_logs(session: AsyncSession, ctx: IsvContext, user_ref: str) -> int:
    """Delete every execution (block results and errors with it) and idempotency receipt of
    the user, and DBOS's records of those runs (GDPR/CCPA erasure); returns how many
    executions went.

    Raises:
        NotFound: ``user_not_found``.
    """
    user = await get_user(session, ctx, user_ref)
    ids = [
        str(i)
        for i in await session.scalars(select(Execution.id).where(Execution.user_id == user.id))
    ]
    await end_read(session)
    await forget_runs(ids)
    async with write_transaction(session):
        await session.execute(delete(Execution).where(Execution.user_id == user.id))
        await session.execute(delete(EventReceipt).where(EventReceipt.user_id == user.id))
    return len(ids)

"""ISV API: a workflow's executions for one user (logs, errors, rerun), its analytics, and
erasing a user's logs."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import Provide
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.db.models import Execution
from install_service.db.models.executions import FINISHED
from install_service.errors import InvalidInput
from install_service.executions import services
from install_service.executions.schemas import (
    AnalyticsDay,
    AnalyticsView,
    BlockResult,
    ExecutionErrorList,
    ExecutionErrorView,
    ExecutionList,
    ExecutionView,
    RerunResult,
)
from install_service.http.pagination import page_size
from install_service.isvs.dependencies import provide_isv
from install_service.isvs.services import IsvContext
from install_service.responses import Success
from install_service.runtime.records import iso
from install_service.users.dependencies import UserIdQuery

LimitQuery = Annotated[str | None, QueryParameter(name="limit")]
CursorQuery = Annotated[str | None, QueryParameter(name="cursor")]
LOG_PAGE = 20


def _user_ref(user_id: str | None) -> str:
    if not user_id:
        raise InvalidInput("userId is required", code=error_codes.USER_ID_REQUIRED)
    return user_id


def _view(row: Execution) -> ExecutionView:
    return ExecutionView(
        execution_id=str(row.id),
        workflow_id=str(row.workflow_id),
        user_id=str(row.user_id),
        status=row.status,
        started_at=iso(row.started_at),
        stopped_at=iso(row.stopped_at),
        finished=row.status in FINISHED,
        trigger=row.trigger,
        blocks=[
            BlockResult(
                block_id=str(b.get("blockId")),
                name=str(b.get("name")),
                type=str(b.get("type")),
                status=str(b.get("status")),
                started_at=b.get("startedAt"),
                stopped_at=b.get("stoppedAt"),
                output=b.get("output"),
                error=b.get("error"),
            )
            for b in row.blocks
        ],
        rerun_of=str(row.rerun_of) if row.rerun_of else None,
    )


class ExecutionsController(Controller):
    tags = ["Executions"]
    dependencies = {"isv": Provide(provide_isv)}

    @get("/workflows/{workflow_id:str}/logs", summary="A user's executions of a workflow")
    async def logs(
        self,
        workflow_id: str,
        isv: IsvContext,
        db_session: AsyncSession,
        user_id: UserIdQuery = None,
        limit: LimitQuery = None,
        cursor: CursorQuery = None,
    ) -> ExecutionList:
        """``{"data": [execution], "nextCursor"}``, newest first (``limit`` default 20)."""
        page = await services.list_executions(
            db_session,
            isv,
            workflow_id,
            _user_ref(user_id),
            limit=page_size(limit) if limit else LOG_PAGE,
            cursor=cursor,
        )
        return ExecutionList(data=[_view(r) for r in page.executions], next_cursor=page.next_cursor)

    @get("/workflows/{workflow_id:str}/errors", summary="A user's failed executions of a workflow")
    async def errors(
        self,
        workflow_id: str,
        isv: IsvContext,
        db_session: AsyncSession,
        user_id: UserIdQuery = None,
        limit: LimitQuery = None,
        cursor: CursorQuery = None,
    ) -> ExecutionErrorList:
        """``{"data": [{"workflowId", "executionId", "block", "errorOccurredAt", "message"}]}``."""
        page = await services.list_executions(
            db_session,
            isv,
            workflow_id,
            _user_ref(user_id),
            limit=page_size(limit) if limit else LOG_PAGE,
            cursor=cursor,
            failed_only=True,
        )
        return ExecutionErrorList(
            data=[
                ExecutionErrorView(
                    workflow_id=str(r.workflow_id),
                    execution_id=str(r.id),
                    block=r.error_block or "",
                    error_occurred_at=iso(r.stopped_at),
                    message=r.error_message or "",
                )
                for r in page.executions
            ],
            next_cursor=page.next_cursor,
        )

    @post(
        "/workflows/{workflow_id:str}/rerun/{execution_id:str}",
        status_code=200,
        summary="Run an execution again on the user's current version",
    )
    async def rerun(
        self,
        workflow_id: str,
        execution_id: str,
        isv: IsvContext,
        db_session: AsyncSession,
        user_id: UserIdQuery = None,
    ) -> RerunResult:
        """``{"executionId"}`` of the new execution (same trigger data)."""
        new_id = await services.rerun(
            db_session, isv, workflow_id, execution_id, _user_ref(user_id)
        )
        return RerunResult(execution_id=new_id)

    @get("/workflows/{workflow_id:str}/analytics", summary="Runs, app actions and errors per day")
    async def analytics(
        self, workflow_id: str, isv: IsvContext, db_session: AsyncSession
    ) -> AnalyticsView:
        """Totals and one entry per UTC day of the last 30 (oldest first)."""
        result = await services.analytics(db_session, isv, workflow_id)
        return AnalyticsView(
            total_workflow_runs=result.total_runs,
            total_app_actions=result.total_app_actions,
            total_errors=result.total_errors,
            days=[AnalyticsDay(d.isoformat(), r, a, e) for d, r, a, e in result.days],
        )

    @delete("/users/{user_ref:str}/logs", status_code=200, summary="Erase a user's logs")
    async def purge(self, user_ref: str, isv: IsvContext, db_session: AsyncSession) -> Success:
        """``{"success": true}``: the user's executions, block results, errors and DBOS's
        records of those runs are deleted (GDPR/CCPA)."""
        await services.purge_user_logs(db_session, isv, user_ref)
        return Success()

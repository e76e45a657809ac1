"""The demo plays AcmeCo's backend: it sends "Fulfillment Updated" for the demo user and
reads the runs back, through the service functions behind ``POST /run/event`` and
``GET /workflows/{workflowId}/logs`` (not HTTP to itself), so it gets what an ISV gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from install_service.db.models import EndUser, Execution
from install_service.db.models.executions import FINISHED
from install_service.errors import ServiceError
from install_service.events.services import accept_event, listening_workflows
from install_service.executions.services import list_executions
from install_service.isvs.services import IsvContext

DEMO_EVENT = "Fulfillment Updated"
# AcmeCo's fulfillment statuses the example catalogue maps to BigCommerce order statuses.
FULFILLMENT_STATUSES = {
    "FULFILLED": "Shipped",
    "DELIVERED": "Completed",
    "CANCELLED": "Cancelled",
}
OTHER_STATUS = "other"  # the form's "type your own" choice
RECENT_RUNS = 5


@dataclass(frozen=True, slots=True)
class EventRuns:
    """The demo user's installed workflows that start on :data:`DEMO_EVENT` (ids) and their
    newest runs (newest first, at most :data:`RECENT_RUNS`)."""

    workflow_ids: list[str]
    runs: list[Execution]

    @property
    def installed(self) -> bool:
        return bool(self.workflow_ids)

    @property
    def running(self) -> bool:
        """Some run has not finished yet: the log view keeps polling."""
        return any(run.status not in FINISHED for run in self.runs)


@dataclass(frozen=True, slots=True)
class SendResult:
    """What ``POST /run/event`` answered: ``status_code`` 200 and the execution ids, or the
    error's status, ``code``, ``message`` and field ``errors`` (``[{"field", "message"}]``).
    ``not_installed``: nothing was sent, since no installed workflow listens."""

    order_id: str
    status: str
    status_code: int = 200
    execution_ids: list[str] = field(default_factory=list)
    code: str | None = None
    message: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    not_installed: bool = False


async def recent_runs(session: AsyncSession, ctx: IsvContext, user: EndUser) -> EventRuns:
    """Raises NotFound (``user_not_found``) for a user of another ISV environment."""
    workflow_ids = await listening_workflows(session, user, DEMO_EVENT)
    runs: list[Execution] = []
    for workflow_id in workflow_ids:
        page = await list_executions(
            session, ctx, workflow_id, str(user.id), limit=RECENT_RUNS, cursor=None
        )
        runs += page.executions
    runs.sort(key=lambda run: (run.created_at, run.id), reverse=True)
    return EventRuns(workflow_ids, runs[:RECENT_RUNS])


async def send_event(
    session: AsyncSession,
    ctx: IsvContext,
    user: EndUser,
    *,
    order_id: str,
    status: str,
) -> SendResult:
    """Send :data:`DEMO_EVENT` with ``{"orderId", "status"}`` (an empty value left out, so
    the API's 422 shows); a refusal comes back in the result, not raised."""
    order_id, status = order_id.strip(), status.strip()
    if not await listening_workflows(session, user, DEMO_EVENT):
        return SendResult(order_id, status, status_code=409, not_installed=True)
    data = {key: value for key, value in (("orderId", order_id), ("status", status)) if value}
    try:
        ids = await accept_event(
            session, ctx, event=DEMO_EVENT, user_ref=str(user.id), data=data, idempotency_key=None
        )
    except ServiceError as exc:
        return SendResult(
            order_id,
            status,
            status_code=exc.status_code,
            code=exc.code,
            message=exc.message,
            errors=list(exc.data.get("errors") or []),
        )
    return SendResult(order_id, status, execution_ids=ids)

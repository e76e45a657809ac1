"""The gauges read from the database at each scrape of ``/metrics``."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.db.config import AUTOCOMMIT_READ
from install_service.db.models.executions import QUEUED, Execution
from install_service.db.models.webhooks import DEAD, PENDING, WebhookDelivery
from install_service.metrics.series import QUEUE_DEPTH, WEBHOOK_DELIVERIES


async def refresh(session: AsyncSession) -> None:
    """Set ``install_service_webhook_deliveries{state}`` and ``install_service_queue_depth``
    from two counting queries, in autocommit: ``/metrics`` answers during start-up, when a
    transaction held open would stall ``DBOS.launch()`` (see ``health.services``)."""
    state = case(
        (WebhookDelivery.status == DEAD, "dead"),
        (WebhookDelivery.attempt_count > 0, "failed"),
        else_="pending",
    )
    counts = dict.fromkeys(("pending", "failed", "dead"), 0)
    await session.connection(execution_options=AUTOCOMMIT_READ)
    rows = await session.execute(
        select(state, func.count())
        .where(WebhookDelivery.status.in_((PENDING, DEAD)))
        .group_by(state)
    )
    counts |= {name: n for name, n in rows.all()}
    queued = await session.scalar(
        select(func.count()).select_from(Execution).where(Execution.status == QUEUED)
    )
    await session.rollback()
    for name, n in counts.items():
        WEBHOOK_DELIVERIES.labels(state=name).set(n)
    QUEUE_DEPTH.labels(queue="executions").set(queued or 0)

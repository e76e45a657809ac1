"""Executions recorded but never handed to DBOS: found and enqueued when a process starts.

``POST /run/event`` commits the queued executions, then enqueues them in DBOS, then answers.
A process that dies between the commit and the enqueue never answered (the caller will
retry), but its rows would stay ``queued`` forever. At start-up, queued executions older than
``GRACE`` (so that another process's request still in flight is left alone) whose DBOS
workflow does not exist are enqueued: they run like the others.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dbos import DBOS
from sqlalchemy import select

from install_service.db.models import Execution
from install_service.db.models.executions import QUEUED
from install_service.runtime import engine
from install_service.runtime.runner import Job, enqueue

GRACE = timedelta(minutes=1)
BATCH = 1000


async def enqueue_orphans(now: datetime | None = None) -> int:
    """Enqueue up to ``BATCH`` orphaned queued executions; returns how many."""
    cutoff = (now or datetime.now(UTC)) - GRACE
    async with engine.context().session_maker() as session:
        rows = list(
            await session.scalars(
                select(Execution)
                .where(Execution.status == QUEUED, Execution.created_at < cutoff)
                .order_by(Execution.created_at)
                .limit(BATCH)
            )
        )
    if not rows:
        return 0
    known = await DBOS.list_workflows_async(
        workflow_ids=[str(r.id) for r in rows], load_input=False, load_output=False
    )
    started = {w.workflow_id for w in known}
    jobs = [job for row in rows if str(row.id) not in started and (job := Job.of(row))]
    await enqueue(jobs)
    return len(jobs)

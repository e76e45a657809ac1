"""Forgetting runs: the daily retention sweep, and purging DBOS's records of given runs.

Executions older than ``LOG_RETENTION_DAYS`` (default 60) are deleted every day at 03:17 UTC
by a DBOS scheduled workflow (one run per day across every process sharing the system
database), together with DBOS's own records of workflows from before the same horizon, and
idempotency receipts older than their 24 hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS
from sqlalchemy import delete

from install_service.db.models import EventReceipt, Execution, HookReceipt
from install_service.db.models.triggers import RECEIPT_TTL as HOOK_RECEIPT_TTL
from install_service.db.transactions import write_transaction
from install_service.runtime import engine
from install_service.settings import Settings

SCHEDULE_NAME = "install_service.retention"
SCHEDULE = "0 17 3 * * *"  # seconds minutes hours ...: 03:17:00 UTC daily
RECEIPT_TTL = timedelta(hours=24)
_BATCH = 500


async def schedule(settings: Settings) -> None:
    """Create (or replace) the daily retention schedule."""
    await DBOS.apply_schedules_async(
        [{"schedule_name": SCHEDULE_NAME, "workflow_fn": sweep, "schedule": SCHEDULE}]
    )


async def forget_runs(execution_ids: list[str]) -> None:
    """Delete DBOS's records (inputs, outputs, steps) of these executions' workflows, and of
    their app calls (child workflows)."""
    for start in range(0, len(execution_ids), _BATCH):
        await DBOS.delete_workflows_async(
            execution_ids[start : start + _BATCH], delete_children=True
        )


@DBOS.workflow(name="install_service.retention_sweep")
async def sweep(scheduled_at: datetime, _context: Any) -> int:
    """The daily run: see :func:`purge_older_than`."""
    await engine.ready()
    return await purge_older_than(scheduled_at)


async def purge_older_than(now: datetime) -> int:
    """Delete executions (and DBOS workflow records) older than the retention horizon before
    ``now``, and idempotency receipts older than 24 h; returns how many executions went.
    Inside the scheduled workflow each part is a recorded step."""
    cutoff = now - timedelta(days=engine.context().settings.log_retention_days)
    deleted = await DBOS.run_step_async(
        {"name": "purge_records"}, _purge_records, cutoff.isoformat(), now.isoformat()
    )
    old = await DBOS.list_workflows_async(
        end_time=cutoff.isoformat(), load_input=False, load_output=False
    )
    await forget_runs([w.workflow_id for w in old if w.status not in {"PENDING", "ENQUEUED"}])
    return deleted


async def _purge_records(cutoff_iso: str, now_iso: str) -> int:
    cutoff, now = datetime.fromisoformat(cutoff_iso), datetime.fromisoformat(now_iso)
    async with engine.context().session_maker() as session, write_transaction(session):
        result = await session.execute(delete(Execution).where(Execution.created_at < cutoff))
        await session.execute(
            delete(EventReceipt).where(EventReceipt.created_at < now - RECEIPT_TTL)
        )
        await session.execute(
            delete(HookReceipt).where(HookReceipt.created_at < now - HOOK_RECEIPT_TTL)
        )
    return result.rowcount or 0

"""Execution records in our database: what the logs, errors and analytics APIs show.

Each function is a DBOS step body (called through ``DBOS.run_step_async`` by the runner or
blocks) and owns one short transaction. Outputs are stored redacted (keys that look like
secrets) and capped (``OUTPUT_LIMIT_BYTES`` of JSON); the full answer stays only in DBOS's
step record, on the same retention horizon.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from install_service.db.models import (
    EndUser,
    Execution,
    Installation,
    InstalledWorkflow,
    Isv,
    WorkflowVersion,
)
from install_service.db.models.executions import FAILED, FINISHED, QUEUED, RUNNING
from install_service.db.transactions import write_transaction
from install_service.metrics.series import execution_finished
from install_service.runtime import engine
from install_service.webhooks import outbox

OUTPUT_LIMIT_BYTES = 16 * 1024
_SECRET_KEY = re.compile(r"token|secret|password|passwd|authorization|api[_-]?key", re.I)


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """``2026-12-03T10:00:00.123Z``: the API's timestamps (UTC, milliseconds)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def redact(value: Any) -> Any:
    """``value`` with every mapping entry whose key looks like a secret replaced."""
    if isinstance(value, dict):
        return {
            k: "[redacted]" if _SECRET_KEY.search(str(k)) else redact(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def stored_output(value: Any) -> Any:
    """The redacted output, or ``{"truncated": true, "bytes": n}`` when its JSON is larger
    than ``OUTPUT_LIMIT_BYTES``."""
    cleaned = redact(value)
    size = len(json.dumps(cleaned, default=str).encode())
    if size > OUTPUT_LIMIT_BYTES:
        return {"truncated": True, "bytes": size}
    return cleaned


def _session() -> AsyncSession:
    return engine.context().session_maker()


async def start_execution(raw_job: dict[str, Any]) -> dict[str, Any] | None:
    """Mark the execution running (creating its record if the request that enqueued it died
    before writing one) and return its plan: ``{"blocks": [...], "user": {"userId",
    "username"}, "app", "credentialId"}``. None when the end user, the installed workflow
    or the version no longer exists (nothing will run)."""
    execution_id = UUID(raw_job["execution_id"])
    async with _session() as session, write_transaction(session):
        user = await session.get(EndUser, UUID(raw_job["user_id"]))
        installed = await session.get(InstalledWorkflow, UUID(raw_job["installed_workflow_id"]))
        version = await session.get(WorkflowVersion, UUID(raw_job["version_id"]))
        if user is None or installed is None or version is None:
            return None
        execution = await session.get(Execution, execution_id)
        if execution is None:
            execution = Execution(
                id=execution_id,
                isv_id=user.isv_id,
                environment=user.environment,
                user_id=user.id,
                workflow_id=installed.workflow_id,
                installed_workflow_id=installed.id,
                version_id=version.id,
                event=version.blocks[0].get("event") if version.blocks else None,
                trigger=raw_job["trigger"],
            )
            session.add(execution)
        if execution.status == QUEUED:
            execution.status, execution.started_at = RUNNING, now()
        installation = await session.get(Installation, installed.installation_id)
        return {
            "blocks": version.blocks,
            "user": {"userId": str(user.id), "username": user.username},
            "app": installation.integration.app,
            "credentialId": str(installation.credential_id),
        }


def failed_start(
    session: AsyncSession,
    installation: Installation,
    installed: InstalledWorkflow,
    environment: str,
) -> tuple[str, dict[str, Any]]:
    """Add (in the caller's transaction) a running execution of ``installed`` that never
    got its trigger, for :func:`fail_execution` to fail at its trigger block once
    committed; returns (its id, that block)."""
    version = installed.workflow_version
    execution = Execution(
        id=uuid7(),
        isv_id=installation.isv_id,
        environment=environment,
        user_id=installation.user_id,
        workflow_id=installed.workflow_id,
        installed_workflow_id=installed.id,
        version_id=installed.version_id,
        event=version.blocks[0].get("event") if version.blocks else None,
        status=RUNNING,
        started_at=now(),
    )
    session.add(execution)
    return str(execution.id), (version.blocks[0] if version.blocks else {"id": "trigger"})


async def record_block(execution_id: str, entry: dict[str, Any], *, app_action: bool) -> None:
    """Append one block's result ``{"blockId", "name", "type", "status", "startedAt",
    "stoppedAt", "output", "error"}`` (replacing an earlier entry of the same block)."""
    async with _session() as session, write_transaction(session):
        execution = await session.get(Execution, UUID(execution_id))
        if execution is None:
            return
        kept = [b for b in execution.blocks if b.get("blockId") != entry["blockId"]]
        execution.blocks = [*kept, entry]
        if app_action:
            execution.app_actions += 1


async def finish_execution(execution_id: str, status: str) -> None:
    """End the execution as ``success`` or ``filtered``."""
    async with _session() as session, write_transaction(session):
        execution = await session.get(Execution, UUID(execution_id))
        if execution is not None and execution.status not in FINISHED:
            execution.status, execution.stopped_at = status, now()
            finished = (status, _seconds(execution.started_at, execution.stopped_at))
        else:
            return
    execution_finished(*finished)


async def fail_execution(execution_id: str, block: dict[str, Any], message: str) -> None:
    """End the execution as failed at ``block``, and enqueue the ISV's ``workflow.failed``
    webhook ``{"type", "userId", "workflowId", "executionId", "block", "message",
    "errorOccurredAt"}`` in the same transaction (durable outbox)."""
    async with _session() as session, write_transaction(session):
        execution = await session.get(Execution, UUID(execution_id))
        if execution is None or execution.status in FINISHED:
            return
        stopped = now()
        name = str(block.get("name") or block.get("id"))
        entries = [b for b in execution.blocks if b.get("blockId") != block.get("id")]
        entries.append(
            {
                "blockId": block.get("id"),
                "name": name,
                "type": block.get("type"),
                "status": FAILED,
                "startedAt": None,
                "stoppedAt": iso(stopped),
                "output": None,
                "error": message,
            }
        )
        execution.blocks = entries
        execution.status, execution.stopped_at = FAILED, stopped
        execution.error_block, execution.error_message = name, message[:2000]
        isv = await session.get(Isv, execution.isv_id)
        if isv is not None:
            outbox.enqueue(
                session,
                isv,
                outbox.WORKFLOW_FAILED,
                {
                    "type": outbox.WORKFLOW_FAILED,
                    "userId": str(execution.user_id),
                    "workflowId": str(execution.workflow_id),
                    "executionId": str(execution.id),
                    "block": name,
                    "message": message,
                    "errorOccurredAt": iso(stopped),
                },
                environment=execution.environment,
            )
        started = execution.started_at
    execution_finished(FAILED, _seconds(started, stopped))


def _seconds(started: datetime | None, stopped: datetime | None) -> float | None:
    if started is None or stopped is None:
        return None
    return (stopped - started).total_seconds()

"""Custom events: what an ISV can send, and accepting one (``POST /run/event``).

Accepting checks everything before anything runs: the user, the event (a customEvent
trigger of one of the ISV's released workflows), the data against the schema of every
workflow it would start. Then, in one transaction, the executions are recorded as queued
(with the idempotency receipt when a key was given), and after the commit enqueued in DBOS;
only then does the caller get the execution ids, so a 200 survives a crash. The same key
within 24 hours answers the same ids and enqueues nothing new (DBOS workflow ids).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.db.models import (
    EndUser,
    EventReceipt,
    Execution,
    Installation,
    InstalledWorkflow,
    Integration,
    Workflow,
)
from install_service.db.transactions import end_read, write_transaction
from install_service.errors import InvalidInput, NotFound
from install_service.grammar.event_schema import EventSchema, FieldError, parse_schema
from install_service.isvs.services import IsvContext
from install_service.runtime.retention import RECEIPT_TTL
from install_service.runtime.runner import Job, enqueue
from install_service.users.services import get_user

CUSTOM_EVENT = "customEvent"


class EventDataInvalid(InvalidInput):
    """``data`` does not match the event's schema; ``errors`` lists every problem."""

    code = error_codes.INVALID_EVENT_DATA

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "The event's data does not match its schema: "
            + "; ".join(f"{e.field}: {e.message}" for e in errors),
            errors=[{"field": e.field, "message": e.message} for e in errors],
        )


@dataclass(frozen=True, slots=True)
class CustomEvent:
    event: str
    schema: dict[str, str]


def _trigger(blocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    first = blocks[0] if blocks else None
    return first if first and first.get("type") == CUSTOM_EVENT else None


async def _released_events(session: AsyncSession, ctx: IsvContext) -> dict[str, EventSchema]:
    """{event name: schema} over the newest released version of each of the ISV's workflows."""
    workflows = await session.scalars(
        select(Workflow).join(Integration).where(Integration.isv_id == ctx.isv.id)
    )
    events: dict[str, EventSchema] = {}
    for workflow in workflows:
        version = workflow.latest_released()
        trigger = _trigger(version.blocks) if version else None
        if trigger and trigger.get("event"):
            events.setdefault(str(trigger["event"]), parse_schema(trigger.get("schema") or {}))
    return events


async def list_events(session: AsyncSession, ctx: IsvContext, user_ref: str) -> list[CustomEvent]:
    """The custom events of the ISV's released workflows, by name.

    Raises:
        NotFound: no such user in this environment.
    """
    await get_user(session, ctx, user_ref)
    events = await _released_events(session, ctx)
    await end_read(session)
    return [CustomEvent(name, schema.as_json()) for name, schema in sorted(events.items())]


async def _listeners(
    session: AsyncSession, user: EndUser, event: str
) -> list[tuple[InstalledWorkflow, EventSchema]]:
    """The user's active installed workflows whose installed version starts on ``event``."""
    rows = await session.scalars(
        select(InstalledWorkflow)
        .join(Installation)
        .where(Installation.user_id == user.id, InstalledWorkflow.active.is_(True))
    )
    found = []
    for installed in rows:
        trigger = _trigger(installed.workflow_version.blocks)
        if trigger and trigger.get("event") == event:
            found.append((installed, parse_schema(trigger.get("schema") or {})))
    return found


async def listening_workflows(session: AsyncSession, user: EndUser, event: str) -> list[str]:
    """Ids of the user's active installed workflows whose installed version starts on
    ``event`` (those :func:`accept_event` would start)."""
    return [str(installed.workflow_id) for installed, _ in await _listeners(session, user, event)]


async def accept_event(
    session: AsyncSession,
    ctx: IsvContext,
    *,
    event: str,
    user_ref: str,
    data: Any,
    idempotency_key: str | None,
) -> list[str]:
    """Start one execution per active installed workflow of the user listening to ``event``;
    returns their ids (``[]`` when none listens). Durable when it returns.

    Raises:
        NotFound: unknown user (``user_not_found``) or event (``unknown_event``).
        EventDataInvalid: ``data`` fails the schema (422, every problem listed).
    """
    user = await get_user(session, ctx, user_ref)
    listeners = await _listeners(session, user, event)
    # Every released workflow of the ISV is read only when none of the user's listens.
    known = {} if listeners else await _released_events(session, ctx)
    if not listeners and event not in known:
        raise NotFound(
            f"No workflow of yours starts on the event {event!r}", code=error_codes.UNKNOWN_EVENT
        )
    schemas = [schema for _, schema in listeners] or [known[event]]
    problems: dict[tuple[str, str], FieldError] = {}
    for schema in schemas:
        for problem in schema.validate(data):
            problems.setdefault((problem.field, problem.message), problem)
    if problems:
        raise EventDataInvalid(list(problems.values()))
    await end_read(session)
    jobs = await _record(session, ctx, user, event, listeners, data, idempotency_key)
    await enqueue(jobs)
    return [job.execution_id for job in jobs]


async def _record(
    session: AsyncSession,
    ctx: IsvContext,
    user: EndUser,
    event: str,
    listeners: list[tuple[InstalledWorkflow, EventSchema]],
    data: dict[str, Any],
    key: str | None,
) -> list[Job]:
    """Write the queued executions (and the receipt) in one transaction; for a key already
    seen within 24 h, the jobs of that first time."""
    # Plain values first: a lost race rolls back, which expires every loaded object.
    jobs = [Job.start(user, installed, data) for installed, _ in listeners]
    isv_id, environment, user_id = ctx.isv.id, ctx.environment, user.id
    for _ in range(2):  # a concurrent first use of the same key wins; then we read its receipt
        try:
            async with write_transaction(session):
                receipt = await _receipt(session, isv_id, environment, key) if key else None
                if receipt is not None:
                    return await _jobs_of(session, receipt)
                session.add_all(job.queued(environment, event) for job in jobs)
                if key:
                    session.add(
                        EventReceipt(
                            isv_id=isv_id,
                            environment=environment,
                            key=key,
                            user_id=user_id,
                            execution_ids=[j.execution_id for j in jobs],
                        )
                    )
                return jobs
        except IntegrityError:
            continue
    raise RuntimeError("idempotency receipt could not be written or read")


async def _receipt(
    session: AsyncSession, isv_id: uuid.UUID, environment: str, key: str
) -> EventReceipt | None:
    receipt = await session.scalar(
        select(EventReceipt).where(
            EventReceipt.isv_id == isv_id,
            EventReceipt.environment == environment,
            EventReceipt.key == key,
        )
    )
    if receipt is not None and receipt.created_at < datetime.now(UTC) - RECEIPT_TTL:
        await session.delete(receipt)
        await session.flush()
        return None
    return receipt


async def _jobs_of(session: AsyncSession, receipt: EventReceipt) -> list[Job]:
    """The jobs a receipt's executions were started with (to enqueue again: a no-op in DBOS
    unless the first request died between its commit and its enqueue)."""
    rows = await session.scalars(
        select(Execution).where(Execution.id.in_([uuid.UUID(i) for i in receipt.execution_ids]))
    )
    return [job for row in rows if (job := Job.of(row))]

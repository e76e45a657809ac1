"""The audit log: ``record`` a change inside the use case's own transaction; list them.

Every change made in the dashboard calls ``record`` before its transaction commits, so a
change and its audit entry are written together or not at all. Entries are never changed
or deleted by the service (they go with their ISV).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.db.models import AuditEntry, StaffAccount
from install_service.http.pagination import keyset, page

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of entries, newest first; ``next_cursor`` is None on the last page."""

    entries: list[AuditEntry]
    next_cursor: str | None


def record(
    session: AsyncSession,
    actor: StaffAccount,
    action: str,
    *,
    environment: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Add an audit entry for ``actor``'s ``action`` to ``session``'s open transaction (the
    caller's use case commits it with its own change).

    ``action`` is ``<thing>.<verb>`` (``"environment.switch"``, ``"staff.sign_in"``);
    ``target_type`` / ``target_id`` name what changed (``"workflow"``, its id);
    ``before`` / ``after`` are JSON-able ids (``{"versionId": "..."}``), never secrets.
    """
    entry = AuditEntry(
        isv_id=actor.isv_id,
        actor_id=actor.id,
        actor_email=actor.email,
        environment=environment,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before_ids=before,
        after_ids=after,
    )
    session.add(entry)
    return entry


async def list_entries(
    session: AsyncSession, isv_id: UUID, *, cursor: str | None = None, limit: int = PAGE_SIZE
) -> AuditPage:
    """Up to ``limit`` of the ISV's entries, newest first, after ``cursor``
    (``http.pagination``: one index range scan on ``(isv_id, created_at, id)``).

    Raises:
        InvalidInput: ``invalid_cursor`` (422), a cursor this service did not make.
    """
    query = select(AuditEntry).where(AuditEntry.isv_id == isv_id)
    rows = list(await session.scalars(keyset(query, AuditEntry, cursor, limit, newest_first=True)))
    return AuditPage(*page(rows, limit))

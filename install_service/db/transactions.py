"""Transactions: each use case owns one, and only writers take SQLite's write lock.

A use case (one service function) wraps its changes in ``async with write_transaction(
session):``: it commits once at the end, or rolls back and lets the domain error
propagate. Reads need nothing: the request's session begins a deferred transaction, which
on SQLite in WAL mode reads a snapshot without blocking or being blocked by writers, and
is rolled back when the request ends.

On SQLite, a write transaction starts with ``BEGIN IMMEDIATE`` (see ``db.config``), so
two writers queue on ``busy_timeout`` instead of one failing when it upgrades a read lock
("database is locked", SQLite "Write-Ahead Logging" §2.2). PostgreSQL needs no such hint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

WRITE_OPTION = "install_service_write"  # execution option read by db.config's BEGIN listener


async def begin_write(session: AsyncSession) -> None:
    """Start a write transaction on ``session``.

    A read transaction already open (an API-key lookup, say) is ended first; it has
    written nothing, and loaded objects stay usable (``expire_on_commit=False``).
    """
    if session.in_transaction():
        await session.commit()
    await session.connection(execution_options={WRITE_OPTION: True})


@asynccontextmanager
async def write_transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """``async with write_transaction(session):``: begin a write transaction, commit it
    when the block ends, roll it back (and re-raise) when the block raises."""
    await begin_write(session)
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    await session.commit()

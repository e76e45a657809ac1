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


async def end_read(session: AsyncSession) -> None:
    """End the read transaction open on ``session``, if any: before calling a third-party
    app, so that no snapshot or lock is held while it answers. It has written nothing
    (a commit, not a rollback, so loaded objects stay usable: ``expire_on_commit=False``).
    """
    if session.in_transaction():
        await session.commit()


async def begin_write(session: AsyncSession) -> None:
    """Start a write transaction on ``session``; a read transaction already open (an
    API-key lookup, say) is ended first (``end_read``)."""
    await end_read(session)
    await session.connection(execution_options={WRITE_OPTION: True})


@asynccontextmanager
async def write_transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """``async with write_transaction(session):``: begin a write transaction, commit it
    when the block ends, roll it back (and re-raise) when the block or the commit raises
    (an ``IntegrityError`` of a lost race, say)."""
    await begin_write(session)
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise

"""Readiness: whether this process can serve its routes now (``GET /ready``).

Checks, each ``"ok"`` or a short reason (never a URL, a version or a secret):
``startup`` (``Startup.state``), ``database`` (``SELECT 1`` within ``timeout_s``),
``migrations`` (the database's Alembic revision is the code's head), ``runtime`` (DBOS
launched and the queues declared in this process) and ``keys`` (signing and encryption
keys loaded).

``/ready`` answers while the process starts, and ``DBOS.launch()`` blocks the event loop
while it migrates its system tables with ``CREATE INDEX CONCURRENTLY``, which on PostgreSQL
waits for every open transaction in the database. A check suspended between two statements
of a transaction would wait for the launch that waits for it, so the checks run in
autocommit (``AUTOCOMMIT_READ``): no transaction is ever held between statements.
"""

from __future__ import annotations

import asyncio
import functools

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from install_service.db.config import AUTOCOMMIT_READ, MIGRATIONS_DIR
from install_service.health.startup import Startup
from install_service.runtime import engine as runtime
from install_service.security.keys import KeyRing

OK = "ok"


@functools.cache
def migration_head() -> str:
    """The newest Alembic revision this code ships (read once from the migrations folder)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


async def readiness(
    db_engine: AsyncEngine, startup: Startup, keys: KeyRing, timeout_s: float = 2.0
) -> dict[str, str]:
    """``{"startup", "database", "migrations", "runtime", "keys": "ok" | reason}``; the
    process is ready when every value is ``"ok"``."""
    checks = {"startup": OK if startup.state == "ready" else startup.state}
    checks |= await database_checks(db_engine, timeout_s)
    checks["runtime"] = OK if runtime.launched() else "not launched"
    checks["keys"] = OK if keys.credential_keys and keys.link_keys else "missing"
    return checks


async def database_checks(db_engine: AsyncEngine, timeout_s: float) -> dict[str, str]:
    """``{"database", "migrations": "ok" | reason}``: ``SELECT 1`` within ``timeout_s``
    seconds, then the Alembic revision against :func:`migration_head`."""
    try:
        async with asyncio.timeout(timeout_s), db_engine.connect() as connection:
            await connection.execution_options(**AUTOCOMMIT_READ)
            await connection.execute(text("SELECT 1"))
            try:
                revision = (
                    await connection.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar()
            except SQLAlchemyError:
                revision = None  # no version table yet: nothing applied
    except TimeoutError:
        return {"database": f"no answer within {timeout_s:g} s", "migrations": "unknown"}
    except (SQLAlchemyError, OSError):
        return {"database": "unreachable", "migrations": "unknown"}
    if revision != migration_head():
        return {"database": OK, "migrations": "not at head: run install-service migrate"}
    return {"database": OK, "migrations": OK}

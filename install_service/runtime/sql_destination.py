"""SQL Destination: insert one row into a table of the end user's own SQL database.

The database URL is the end user's credential for the app ``sql`` (its ``url`` field) or the
block's ``config.url``; SQLAlchemy Core inserts the rendered mapping as one row (columns by
name; the table must exist). SQLite and PostgreSQL (psycopg) are supported; MySQL with the
``mysql`` extra (PyMySQL). A network database host goes through the outbound URL guard
(``security.ssrf``); a SQLite file, which is on this machine, only when private targets are
allowed (``WEBHOOK_ALLOW_PRIVATE``: development and tests).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError

from install_service.catalog.app_actions import AppCallError
from install_service.db.models import Credential
from install_service.runtime import engine
from install_service.security.ssrf import UnsafeWebhookUrl, pin

SQL_APP = "sql"
_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}


async def insert_row(
    raw_job: dict[str, Any], plan: dict[str, Any], block: dict[str, Any], row: Any
) -> int:
    """Insert ``row`` (a JSON object) into ``block["table"]``; returns the row count (1).

    Raises:
        AppCallError: no URL, a refused or unknown kind of database, a missing table or
            column (not transient); the database unreachable (transient).
    """
    if not isinstance(row, dict) or not row:
        raise AppCallError("The SQL Destination mapping must give an object", transient=False)
    url = await _database_url(raw_job, block)
    target = await _checked(url)
    table = str(block.get("table") or "")
    try:
        return await asyncio.to_thread(_insert, target, table, row)
    except NoSuchTableError:
        raise AppCallError(f"Table {table!r} does not exist", transient=False) from None
    except sa.exc.OperationalError as exc:
        raise AppCallError(
            f"The SQL database could not be reached or refused the row ({type(exc.orig).__name__})",
            transient=True,
        ) from None
    except SQLAlchemyError as exc:
        raise AppCallError(
            f"The SQL database refused the row ({type(exc).__name__})", transient=False
        ) from None


async def _database_url(raw_job: dict[str, Any], block: dict[str, Any]) -> str:
    configured = str((block.get("config") or {}).get("url") or "")
    if configured:
        return configured
    ctx = engine.context()
    async with ctx.session_maker() as session:
        credential = await session.scalar(
            sa.select(Credential).where(
                Credential.user_id == UUID(raw_job["user_id"]), Credential.app == SQL_APP
            )
        )
    if credential is None:
        raise AppCallError("The end user has no SQL database connected", transient=False)
    secrets = ctx.cipher.open(
        credential.key_id,
        credential.ciphertext,
        isv_id=str(credential.isv_id),
        user_id=str(credential.user_id),
        credential_id=str(credential.id),
    )
    return secrets.get("url") or credential.public_fields.get("url") or ""


async def _checked(url: str) -> sa.URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise AppCallError("The SQL database URL is not valid", transient=False) from None
    backend = parsed.get_backend_name()
    if backend not in _DRIVERS:
        raise AppCallError(
            f"Unsupported SQL database {backend!r} (supported: {', '.join(_DRIVERS)})",
            transient=False,
        )
    allow_private = engine.context().settings.webhook_allow_private
    if backend == "sqlite":
        if not allow_private:
            raise AppCallError("SQLite files are not allowed as a destination", transient=False)
    else:
        try:
            await pin(f"http://{parsed.host}:{parsed.port or 5432}/", allow_private=allow_private)
        except UnsafeWebhookUrl as exc:
            raise AppCallError(
                f"SQL database host refused: {exc.message}", transient=False
            ) from None
    return parsed.set(drivername=_DRIVERS[backend])


@functools.lru_cache(maxsize=32)
def _engine(url: sa.URL) -> sa.Engine:
    return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _insert(url: sa.URL, table_name: str, row: dict[str, Any]) -> int:
    try:
        db = _engine(url)
    except NoSuchModuleError:
        raise AppCallError("No driver installed for this SQL database", transient=False) from None
    table = sa.Table(table_name, sa.MetaData(), autoload_with=db)
    unknown = sorted(set(row) - set(table.columns.keys()))
    if unknown:
        raise AppCallError(
            f"Table {table_name!r} has no column {', '.join(map(repr, unknown))}", transient=False
        )
    with db.begin() as connection:
        connection.execute(table.insert().values(**row))
    return 1  # one row per run (some drivers report rowcount -1 for an INSERT)

"""SQL Destination: insert one row into a table of the end user's own SQL database.

The database URL is the block's ``config.url``, else the end user's credential for the app
``sql`` (its ``url`` field), decrypted here, inside the step, and never returned. The insert
itself, and which databases may be reached, belong to the app: ``catalog/apps/sql.py``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from install_service.catalog.app_actions import AppCallError
from install_service.catalog.apps import sql
from install_service.db.models import Credential
from install_service.runtime import engine

SQL_APP = "sql"


async def insert_row(
    raw_job: dict[str, Any], plan: dict[str, Any], block: dict[str, Any], row: Any
) -> int:
    """Insert ``row`` (a JSON object) into ``block["table"]``; returns the row count (1).

    Raises:
        AppCallError: no URL, or what :func:`install_service.catalog.apps.sql.insert_row`
            raises (transient when the database could not be reached).
    """
    if not isinstance(row, dict) or not row:
        raise AppCallError("The SQL Destination mapping must give an object", transient=False)
    url = await _database_url(raw_job, block)
    allow_private = engine.context().settings.webhook_allow_private
    return await sql.insert_row(
        url, str(block.get("table") or ""), row, allow_private=allow_private
    )


async def _database_url(raw_job: dict[str, Any], block: dict[str, Any]) -> str:
    configured = str((block.get("config") or {}).get("url") or "")
    if configured:
        return configured
    ctx = engine.context()
    async with ctx.session_maker() as session:
        credential = await session.scalar(
            sa.select(Credential)
            .where(Credential.user_id == UUID(raw_job["user_id"]), Credential.app == SQL_APP)
            .order_by(Credential.created_at.desc())
            .limit(1)
        )
    if credential is None:
        raise AppCallError("The end user has no SQL database connected (app sql)", transient=False)
    secrets = ctx.cipher.open(
        credential.key_id,
        credential.ciphertext,
        isv_id=str(credential.isv_id),
        user_id=str(credential.user_id),
        credential_id=str(credential.id),
    )
    return secrets.get("url") or ""

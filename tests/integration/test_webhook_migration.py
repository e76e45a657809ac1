"""The migration giving webhook deliveries an environment backfills it from the payload."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from advanced_alchemy.alembic.commands import AlembicCommands
from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy.ext.asyncio import create_async_engine

from install_service.db.config import sqlalchemy_config
from tests.support.databases import create_postgres_database, sqlite_url
from tests.support.db_rows import rows

pytestmark = pytest.mark.usefixtures("backend")

BEFORE = "647ff8c9a1b8"  # install links: the last revision without delivery environments


def _table(name: str, *columns: sa.ColumnClause) -> sa.TableClause:
    stamps = (sa.column("created_at", DateTimeUTC), sa.column("updated_at", DateTimeUTC))
    return sa.table(name, sa.column("id", GUID), *columns, *stamps)


ISV = _table(
    "isv", sa.column("name"), sa.column("allowed_origins", sa.JSON), sa.column("webhook_secret")
)
END_USER = _table(
    "end_user", sa.column("isv_id", GUID), sa.column("environment"), sa.column("username")
)
DELIVERY = _table(
    "webhook_delivery",
    sa.column("isv_id", GUID),
    sa.column("event_type"),
    sa.column("message_id"),
    sa.column("payload"),
    sa.column("status"),
    sa.column("attempt_count"),
)


def _upgrade(url: str, revision: str) -> None:
    """Migrate up to ``revision``, with an engine of its own (Alembic runs its own loop)."""
    AlembicCommands(sqlalchemy_config=sqlalchemy_config(url)).upgrade(revision)


async def test_existing_deliveries_get_their_users_environment(
    backend: str, tmp_path: Path
) -> None:
    url = await create_postgres_database() if backend == "postgresql" else sqlite_url(tmp_path)
    await asyncio.to_thread(_upgrade, url, BEFORE)
    now = datetime.now(UTC)
    isv_id, dev_user, prod_user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    payloads = {
        "msg_dev": {"userId": str(dev_user)},
        "msg_prod": {"userId": str(prod_user), "success": True},
        "msg_no_user": {"hello": "world"},
        "msg_unknown_user": {"userId": str(uuid.uuid4())},
        "msg_not_an_object": [1, 2],
    }
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.insert(ISV).values(
                    id=isv_id,
                    name="AcmeCo",
                    allowed_origins=[],
                    webhook_secret="whsec_x",
                    created_at=now,
                    updated_at=now,
                )
            )
            for user_id, environment in ((dev_user, "development"), (prod_user, "production")):
                await conn.execute(
                    sa.insert(END_USER).values(
                        id=user_id,
                        isv_id=isv_id,
                        environment=environment,
                        username=environment,
                        created_at=now,
                        updated_at=now,
                    )
                )
            for message_id, payload in payloads.items():
                await conn.execute(
                    sa.insert(DELIVERY).values(
                        id=uuid.uuid4(),
                        isv_id=isv_id,
                        event_type="installation.completed",
                        message_id=message_id,
                        payload=json.dumps(payload),
                        status="delivered",
                        attempt_count=1,
                        created_at=now,
                        updated_at=now,
                    )
                )
    finally:
        await engine.dispose()

    await asyncio.to_thread(_upgrade, url, "head")

    found = await rows(url, "SELECT message_id, environment FROM webhook_delivery")
    assert {r["message_id"]: r["environment"] for r in found} == {
        "msg_dev": "development",
        "msg_prod": "production",
        "msg_no_user": "development",
        "msg_unknown_user": "development",
        "msg_not_an_object": "development",
    }

"""The migration moving allowed origins into rows splits each ISV's JSON list, and back."""

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
from tests.support.db_rows import count, rows

pytestmark = pytest.mark.usefixtures("backend")

BEFORE = "45f2f9736596"  # hook subscriptions: the last revision with isv.allowed_origins
ROWS = "e02322e7658c"

ISV = sa.table(
    "isv",
    sa.column("id", GUID),
    sa.column("name"),
    sa.column("allowed_origins", sa.JSON),
    sa.column("webhook_secret"),
    sa.column("created_at", DateTimeUTC),
    sa.column("updated_at", DateTimeUTC),
)

END_USER = sa.table(
    "end_user",
    sa.column("id", GUID),
    sa.column("isv_id", GUID),
    sa.column("environment"),
    sa.column("username"),
    sa.column("created_at", DateTimeUTC),
    sa.column("updated_at", DateTimeUTC),
)


def _id(value: object) -> uuid.UUID:
    """A GUID as read raw: 16 bytes on SQLite, a UUID on PostgreSQL."""
    return uuid.UUID(bytes=value) if isinstance(value, bytes) else uuid.UUID(str(value))


def _commands(url: str) -> AlembicCommands:
    return AlembicCommands(sqlalchemy_config=sqlalchemy_config(url))


async def test_allowed_origins_become_rows_and_come_back(backend: str, tmp_path: Path) -> None:
    url = await create_postgres_database() if backend == "postgresql" else sqlite_url(tmp_path)
    await asyncio.to_thread(_commands(url).upgrade, BEFORE)
    now = datetime.now(UTC)
    acme, other, bare = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    lists = {
        acme: ["https://acme.example.com", "http://localhost:9100", "HTTPS://Acme.Example.com/"],
        other: ["https://other.example.com"],
        bare: [],
    }
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for isv_id, origins in lists.items():
                await conn.execute(
                    sa.insert(ISV).values(
                        id=isv_id,
                        name=str(isv_id),
                        allowed_origins=origins,
                        webhook_secret="whsec_x",
                        created_at=now,
                        updated_at=now,
                    )
                )
            await conn.execute(
                sa.insert(END_USER).values(
                    id=uuid.uuid4(),
                    isv_id=acme,
                    environment="development",
                    username="ann",
                    created_at=now,
                    updated_at=now,
                )
            )
    finally:
        await engine.dispose()

    await asyncio.to_thread(_commands(url).upgrade, ROWS)

    # The isv table is altered in place: rows referencing an ISV are not cascade-deleted.
    assert await count(url, "end_user") == 1

    found = await rows(
        url, "SELECT isv_id, origin, position FROM isv_allowed_origin ORDER BY origin"
    )
    by_isv: dict[uuid.UUID, list[tuple[int, str]]] = {}
    for r in found:
        by_isv.setdefault(_id(r["isv_id"]), []).append((r["position"], r["origin"]))
    assert {k: sorted(v) for k, v in by_isv.items()} == {
        acme: [(0, "https://acme.example.com"), (1, "http://localhost:9100")],
        other: [(0, "https://other.example.com")],
    }

    await asyncio.to_thread(_commands(url).downgrade, BEFORE)

    back = await rows(url, "SELECT id, allowed_origins FROM isv")
    restored = {
        _id(r["id"]): v if isinstance(v := r["allowed_origins"], list) else json.loads(v)
        for r in back
    }
    assert restored == {
        acme: ["https://acme.example.com", "http://localhost:9100"],
        other: ["https://other.example.com"],
        bare: [],
    }

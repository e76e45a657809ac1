"""Looking at the database behind the API, as an operator with ``psql``/``sqlite3`` would."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def rows(database_url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Run one read-only statement on its own short-lived connection; rows as dicts."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(text(sql), params)
            return [dict(row._mapping) for row in result]
    finally:
        await engine.dispose()


async def count(database_url: str, table: str) -> int:
    return (await rows(database_url, f"SELECT count(*) AS n FROM {table}"))[0]["n"]


async def postgres_text_dump(
    database_url: str, schemas: tuple[str, ...] = ("public",)
) -> list[bytes]:
    """Every value of every text-like or bytea column of every table in ``schemas``, as
    bytes: what ``pg_dump --data-only`` would write, minus the syntax."""
    columns = await rows(
        database_url,
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ANY(:schemas) AND data_type IN "
        "('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')",
        schemas=list(schemas),
    )
    values: list[bytes] = []
    for column in columns:
        name, table = column["column_name"], f'{column["table_schema"]}"."{column["table_name"]}'
        cast = f'"{name}"' if column["data_type"] == "bytea" else f'"{name}"::text'
        for row in await rows(
            database_url, f'SELECT {cast} AS v FROM "{table}" WHERE "{name}" IS NOT NULL'
        ):
            value = row["v"]
            values.append(bytes(value) if not isinstance(value, str) else value.encode())
    return values


def as_uuid(value: Any) -> uuid.UUID:
    """A UUID column's value whichever way the driver returns it (UUID, hex text, 16 bytes)."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)) and len(bytes(value)) == 16:
        return uuid.UUID(bytes=bytes(value))
    return uuid.UUID(str(value))


async def places_holding(database_url: str, dbos_url: str, secret: bytes) -> list[str]:
    """Where ``secret`` is stored in plain: our database and DBOS's (SQLite: every file of
    both, WAL included; PostgreSQL: every text or bytea value of ``public`` and ``dbos``).
    Raises AssertionError when there is nothing to scan."""
    if database_url.startswith("sqlite"):
        files = [
            p
            for url in (database_url, dbos_url)
            for p in Path(url.split(":///", 1)[1]).parent.glob(
                Path(url.split(":///", 1)[1]).name + "*"
            )
            if p.is_file()
        ]
        assert any("dbos" in f.name for f in files) and len(files) >= 2
        return [str(f) for f in files if secret in f.read_bytes()]
    values = await postgres_text_dump(database_url, schemas=("public", "dbos"))
    assert values
    return [repr(v[:60]) for v in values if secret in v]

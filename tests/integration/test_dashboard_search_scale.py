"""Searching 100,000 installations by username: the Installations tab's search reads one
range of the ``(isv_id, environment, username)`` index in its order, so a prefix that
matches every user still answers its first 50 without sorting them all. SQLite and
PostgreSQL (each seeded with one INSERT ... SELECT per table)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar.testing import AsyncTestClient
from sqlalchemy import event, insert, text

from install_service.db.config import sqlalchemy_config
from install_service.db.models import Credential
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.dashboard import signed_in
from tests.support.html import by_id

pytestmark = pytest.mark.usefixtures("backend")
USERS = 100_000

SEED = {
    "sqlite": [
        """WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :last)
           INSERT INTO end_user (id, isv_id, environment, username, created_at, updated_at)
           SELECT randomblob(16), :isv, 'development', printf('user%06d', i), :now, :now FROM n""",
        """INSERT INTO installation (id, isv_id, user_id, integration_id, credential_id,
               configuration, created_at, updated_at)
           SELECT randomblob(16), isv_id, id, :integration, :credential, '{}', created_at,
               updated_at FROM end_user WHERE isv_id = :isv AND username LIKE 'user%'""",
    ],
    "postgresql": [
        """INSERT INTO end_user (id, isv_id, environment, username, created_at, updated_at)
           SELECT gen_random_uuid(), :isv, 'development', 'user' || lpad(i::text, 6, '0'),
               :now, :now FROM generate_series(0, :last) AS i""",
        """INSERT INTO installation (id, isv_id, user_id, integration_id, credential_id,
               configuration, created_at, updated_at)
           SELECT gen_random_uuid(), isv_id, id, :integration, :credential, '{}', created_at,
               updated_at FROM end_user WHERE isv_id = :isv AND username LIKE 'user%'""",
        "ANALYZE end_user",
        "ANALYZE installation",
    ],
}


async def seed(settings: Settings, isv: IsvFixture, backend: str) -> None:
    """``USERS`` end users (user000000 ...) of ``isv``, each with an installation."""
    config = sqlalchemy_config(settings.database_url)
    now = datetime.now(UTC)
    as_id = (lambda raw: uuid.UUID(raw).bytes) if backend == "sqlite" else uuid.UUID
    try:
        async with config.get_session() as session:
            credential = uuid.uuid4()
            params = {
                "isv": as_id(isv.isv_id),
                "integration": as_id(isv.integration_id),
                "credential": as_id(str(credential)),
                "last": USERS - 1,
                "now": now.replace(tzinfo=None) if backend == "sqlite" else now,
            }
            await session.execute(text(SEED[backend][0]), params)
            any_user = (
                await session.execute(
                    text("SELECT id FROM end_user WHERE isv_id = :isv LIMIT 1"),
                    {"isv": params["isv"]},
                )
            ).scalar_one()
            user_id = uuid.UUID(bytes=any_user) if backend == "sqlite" else any_user
            await session.execute(
                insert(Credential).values(
                    id=credential,
                    isv_id=uuid.UUID(isv.isv_id),
                    user_id=user_id,
                    app="bigcommerce",
                    name="seed",
                    public_fields={},
                    key_id="seed",
                    ciphertext=b"seed",
                )
            )
            for statement in SEED[backend][1:]:
                await session.execute(text(statement), params)
            await session.commit()
    finally:
        await config.get_engine().dispose()


@contextmanager
def search_statement(app) -> Iterator[list[tuple[str, object]]]:
    """The search's SELECT as sent to the database, with its parameters."""
    seen: list[tuple[str, object]] = []
    engine = app.plugins.get(SQLAlchemyPlugin).config[0].get_engine().sync_engine

    def record(_conn, _cursor, statement: str, parameters, *_args) -> None:
        if "end_user.username >=" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def plan(settings: Settings, statement: str, parameters, backend: str) -> str:
    """The database's plan for ``statement`` (SQLite's EXPLAIN QUERY PLAN details, or
    PostgreSQL's EXPLAIN lines)."""
    engine = sqlalchemy_config(settings.database_url).get_engine()
    explain = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN "
    try:
        async with engine.connect() as conn:
            rows = (await conn.exec_driver_sql(explain + statement, parameters)).all()
    finally:
        await engine.dispose()
    return "\n".join(str(row[-1]) for row in rows)


async def test_a_prefix_matching_every_user_reads_one_index_range_in_order(
    app, client: AsyncTestClient, settings: Settings, isv: IsvFixture, backend: str
) -> None:
    await seed(settings, isv, backend)
    dash = await signed_in(client, settings, isv.isv_id, "ann@acme.test")
    tab = f"/dashboard/integrations/{isv.integration_id}/installations"

    with search_statement(app) as seen:
        found = await dash.get(tab, params={"username": "user0"})

    assert found.status_code == 200
    results = by_id(found.text, "installation-results").text
    assert "user000000" in results and "user000049" in results and "user000050" not in results
    assert "Next page" in results
    [(statement, parameters)] = seen
    shown = await plan(settings, statement, parameters, backend)
    if backend == "sqlite":
        assert "SEARCH end_user USING INDEX" in shown and "username>? AND username<?" in shown
        assert "TEMP B-TREE" not in shown, shown  # no sort of the 100,000 matches
    else:
        assert "Index" in shown and "uq_end_user_isv_id" in shown, shown
        assert "Sort" not in shown, shown

    second = await dash.get(tab, params={"username": "user0", "cursor": "user000049"})
    assert "user000050" in by_id(second.text, "installation-results").text

"""Use cases own their transactions: reads take no write lock, a refused change leaves
nothing behind, and writers queue instead of failing (SQLite's write lock)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from tests.conftest import IsvFixture
from tests.support.db_rows import count

pytestmark = pytest.mark.usefixtures("backend")


def _sqlite_path(database_url: str) -> str:
    return database_url.split(":///", 1)[1]


async def test_reads_answer_while_another_connection_holds_the_write_lock(
    client, isv: IsvFixture, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL readers never wait for writers (MVCC)")
    await client.post("/2024-03/users", json={"username": "reader"}, headers=isv.headers)
    writer = sqlite3.connect(_sqlite_path(database_url), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the write lock, held until we let go
        writer.execute("UPDATE isv SET name = name")
        answers = await asyncio.gather(
            *(client.get("/2024-03/users", headers=isv.headers) for _ in range(16)),
            *(
                client.get("/2024-03/integrations?userId=reader", headers=isv.headers)
                for _ in range(8)
            ),
        )
        # Had the reads begun with BEGIN IMMEDIATE, each would wait out busy_timeout and fail.
        assert [a.status_code for a in answers] == [200] * 24
        writer.execute("ROLLBACK")
    finally:
        writer.close()


async def test_writers_queue_behind_each_other_instead_of_failing(
    client, isv: IsvFixture, database_url: str
) -> None:
    answers = await asyncio.gather(
        *(
            client.post("/2024-03/users", json={"username": f"u{i}"}, headers=isv.headers)
            for i in range(24)
        )
    )
    assert sorted(a.status_code for a in answers) == [201] * 24, [a.text for a in answers]
    assert await count(database_url, "end_user") == 24


async def test_a_refused_change_leaves_nothing_behind(
    client, isv: IsvFixture, database_url: str
) -> None:
    batch = {"users": [{"username": "first"}, {"username": "second"}]}
    assert (
        await client.post("/2024-03/users/batch", json=batch, headers=isv.headers)
    ).status_code == 201
    renamed = await client.put(
        "/2024-03/users/first", json={"username": "second"}, headers=isv.headers
    )
    assert renamed.status_code == 409 and renamed.json()["code"] == "duplicate_user"
    names = {
        u["username"]
        for u in (await client.get("/2024-03/users", headers=isv.headers)).json()["data"]
    }
    assert names == {"first", "second"}

"""What an error puts in the log: no value sent to the database, no query string."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from install_service.db.config import sqlalchemy_config
from install_service.http.error_answers import internal_error_to_json

SECRET = "whsec_do-not-log-me-0123456789"


async def test_a_database_error_does_not_show_the_values_sent(tmp_path: Path) -> None:
    config = sqlalchemy_config(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with config.get_engine().connect() as connection:
            with pytest.raises(DBAPIError) as raised:
                await connection.execute(text("INSERT INTO nowhere VALUES (:v)"), {"v": SECRET})
    finally:
        await config.get_engine().dispose()
    assert "nowhere" in str(raised.value) and SECRET not in str(raised.value)


async def test_an_unhandled_error_is_logged_by_path_without_the_query(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @get("/boom")
    async def boom() -> None:
        raise RuntimeError("broken")

    app = Litestar([boom], exception_handlers={Exception: internal_error_to_json})
    root = logging.getLogger()  # Litestar configured it when the app was made: caplog again
    root.addHandler(caplog.handler)
    try:
        async with AsyncTestClient(app=app) as client:
            answer = await client.get("/boom", params={"token": SECRET})
    finally:
        root.removeHandler(caplog.handler)
    assert answer.status_code == 500 and answer.json()["code"] == "internal_error"
    server_side = "\n".join(
        caplog.handler.format(r)
        for r in caplog.records
        if r.name != "httpx"  # the test's client
    )
    assert "unhandled error on GET /boom" in server_side
    assert SECRET not in server_side

"""Dashboard sessions in the database: 12 h idle expiry renewed by activity, a visitor
without a session writes nothing, and an unchanged session is not written again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from install_service.app import create_app
from install_service.db.config import sqlalchemy_config
from install_service.db.models import DashboardSession
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.dashboard import make_staff, sign_in
from tests.support.db_rows import count, rows

pytestmark = pytest.mark.usefixtures("backend")

EMAIL = "ann@acme.test"


@pytest.fixture
async def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(
    app: Litestar, settings: Settings, isv: IsvFixture
) -> AsyncIterator[AsyncTestClient]:
    await make_staff(settings, isv.isv_id, EMAIL)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        test_client.follow_redirects = False
        yield test_client


async def set_expiry(database_url: str, expires_at: datetime) -> None:
    """What the clock does to the one session row: its expiry as if time had passed."""
    config = sqlalchemy_config(database_url)
    try:
        async with config.get_session() as session, session.begin():
            await session.execute(update(DashboardSession).values(expires_at=expires_at))
    finally:
        await config.get_engine().dispose()


async def expiry(database_url: str) -> datetime:
    config = sqlalchemy_config(database_url)
    try:
        async with config.get_session() as session:
            [value] = (await session.scalars(select(DashboardSession.expires_at))).all()
    finally:
        await config.get_engine().dispose()
    return value


async def test_a_visitor_without_a_session_writes_no_session(
    client: AsyncTestClient, database_url: str
) -> None:
    for path in ("/dashboard/sign-in", "/dashboard/integrations", "/dashboard"):
        await client.get(path)
    assert await count(database_url, "dashboard_session") == 0


async def test_twelve_idle_hours_sign_out_and_activity_renews_the_session(
    client: AsyncTestClient, database_url: str
) -> None:
    await sign_in(client, EMAIL)
    first = await expiry(database_url)
    assert timedelta(hours=11, minutes=59) < first - datetime.now(UTC) <= timedelta(hours=12)

    await set_expiry(database_url, datetime.now(UTC) + timedelta(hours=1))  # 11 h idle
    assert (await client.get("/dashboard/integrations")).status_code == 200
    assert await expiry(database_url) - datetime.now(UTC) > timedelta(hours=11, minutes=59)

    await set_expiry(database_url, datetime.now(UTC) - timedelta(seconds=1))  # 12 h idle
    response = await client.get("/dashboard/integrations")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/dashboard/sign-in")


async def test_an_unchanged_session_is_not_written_again(
    client: AsyncTestClient, database_url: str
) -> None:
    await sign_in(client, EMAIL)
    before = await rows(database_url, "SELECT updated_at, expires_at FROM dashboard_session")
    for _ in range(3):
        response = await client.get("/dashboard/integrations")
        assert response.status_code == 200
        assert "dashboard_session=" not in response.headers.get("set-cookie", "")
    assert (
        await rows(database_url, "SELECT updated_at, expires_at FROM dashboard_session") == before
    )

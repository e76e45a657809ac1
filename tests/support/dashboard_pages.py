"""Signed-in dashboard clients and reading what the dashboard pages show and recorded."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.dashboard import make_staff, sign_in
from tests.support.db_rows import rows


async def signed_in(
    client: AsyncTestClient, settings: Settings, isv: IsvFixture, email: str
) -> AsyncTestClient:
    """``client`` signed in as a new staff member ``email`` of ``isv`` (redirects not
    followed, so a test sees each 303)."""
    await make_staff(settings, isv.isv_id, email)
    client.follow_redirects = False
    response = await sign_in(client, email)
    assert response.status_code == 303, response.text
    return client


async def audit_actions(database_url: str) -> list[dict[str, Any]]:
    """Every audit entry (action, target_id, environment), oldest first."""
    return await rows(
        database_url,
        "SELECT action, target_id, environment FROM audit_entry ORDER BY created_at, id",
    )

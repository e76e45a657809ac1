"""Keyset pages (``limit``, ``nextCursor``) of an integration's installations, a workflow's
versions and webhook deliveries: walked to the end with no row twice and none missed, the
same 422s as ``GET /users``. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from install_service.db.config import sqlalchemy_config
from install_service.db.models import Isv
from install_service.webhooks.outbox import enqueue
from tests.conftest import IsvFixture
from tests.support.workflows import BASE, TRIGGER, draft, first_workflow, installed_user

pytestmark = pytest.mark.usefixtures("backend")

BAD_QUERIES = ["limit=0", "limit=1001", "limit=abc", "cursor=bm90LWEtY3Vyc29y", "cursor=%%%"]


async def walk(client, isv: IsvFixture, path: str, key: str, limit: int = 2) -> list[str]:
    """Every ``key`` of every page of ``path``, following ``nextCursor`` until null."""
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        response = await client.get(f"{BASE}{path}", params=params, headers=isv.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["data"]) <= limit and "nextCursor" in body
        seen += [row[key] for row in body["data"]]
        cursor = body["nextCursor"]
        if cursor is None:
            return seen


async def first_page(client, isv: IsvFixture, path: str, key: str) -> tuple[list[str], object]:
    """The default page (no ``limit``): what callers from before pagination get."""
    body = (await client.get(f"{BASE}{path}", headers=isv.headers)).json()
    return [row[key] for row in body["data"]], body["nextCursor"]


async def assert_bad_queries_refused(client, isv: IsvFixture, path: str) -> None:
    for query in BAD_QUERIES:
        response = await client.get(f"{BASE}{path}?{query}", headers=isv.headers)
        assert response.status_code == 422, (query, response.text)
        assert response.json()["code"] == (
            "invalid_cursor" if "cursor" in query else "invalid_limit"
        )


async def test_installations_of_an_integration_page_to_the_end(client, isv: IsvFixture) -> None:
    users = [await installed_user(client, isv, f"user{i}") for i in range(5)]
    path = f"/integrations/{isv.integration_id}/installations"

    walked = await walk(client, isv, path, "userId")

    assert walked == users  # oldest first, each once
    assert await first_page(client, isv, path, "userId") == (users, None)
    await assert_bad_queries_refused(client, isv, path)


async def test_a_workflows_versions_page_to_the_end(client, isv: IsvFixture) -> None:
    user = await installed_user(client, isv, "gregg")
    workflow_id = (await first_workflow(client, isv, user))["workflowId"]
    for _ in range(4):
        await draft(client, isv, workflow_id, [TRIGGER])
    path = f"/workflows/{workflow_id}/versions"

    walked = await walk(client, isv, path, "version")

    assert walked == [1, 2, 3, 4, 5]
    assert await first_page(client, isv, path, "version") == ([1, 2, 3, 4, 5], None)
    await assert_bad_queries_refused(client, isv, path)


async def test_webhook_deliveries_page_to_the_end_newest_first(
    client, settings, isv: IsvFixture
) -> None:
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:  # one write: the worker also writes
            isv_row = await session.get(Isv, uuid.UUID(isv.isv_id))
            for i in range(5):
                enqueue(
                    session, isv_row, "installation.completed", {"n": i}, environment="development"
                )
            await session.commit()
    finally:
        await config.get_engine().dispose()
    path = "/webhooks/deliveries"

    walked = await walk(client, isv, path, "payload")

    assert walked == [f'{{"n":{i}}}' for i in reversed(range(5))]
    assert await first_page(client, isv, path, "payload") == (walked, None)
    await assert_bad_queries_refused(client, isv, path)

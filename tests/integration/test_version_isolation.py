"""Loading a workflow, for one end user or for none, reads no other user's user-specific
versions (there may be one per installation). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from install_service.catalog.services import list_integrations, load_own_versions
from install_service.db.config import sqlalchemy_config
from install_service.db.models import EndUser, WorkflowVersion
from install_service.workflows.services import find_workflow
from tests.conftest import IsvFixture
from tests.support.workflows import BASE, first_workflow, installed_user

pytestmark = pytest.mark.usefixtures("backend")


async def _user_draft(client, isv: IsvFixture, user_id: str, workflow_id: str) -> int:
    installations = (
        await client.get(
            f"{BASE}/integrations/{isv.integration_id}/installations", headers=isv.headers
        )
    ).json()["data"]
    installation = next(i for i in installations if i["userId"] == user_id)
    made = await client.post(
        f"{BASE}/installations/{installation['installationId']}/workflows/{workflow_id}/versions",
        headers=isv.headers,
    )
    assert made.status_code == 201, made.text
    return made.json()["version"]


def _loaded_versions(session) -> list[WorkflowVersion]:
    return [o for o in session.sync_session.identity_map.values() if isinstance(o, WorkflowVersion)]


async def test_a_workflow_loads_only_isv_wide_versions_and_the_served_users_own(
    client, settings, isv: IsvFixture
) -> None:
    users = [await installed_user(client, isv, f"user{i}") for i in range(3)]
    workflow_id = (await first_workflow(client, isv, users[0]))["workflowId"]
    numbers = {user: await _user_draft(client, isv, user, workflow_id) for user in users}
    me = uuid.UUID(users[0])

    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            workflow = await find_workflow(session, uuid.UUID(isv.isv_id), workflow_id)
            assert [(v.version, v.user_id) for v in workflow.versions] == [(1, None)]
            await load_own_versions(session, [workflow], me)
            assert [(v.version, v.user_id) for v in workflow.versions] == [
                (1, None),
                (numbers[users[0]], me),
            ]
            user = await session.get_one(EndUser, me)
            await list_integrations(session, uuid.UUID(isv.isv_id), user, "http://x")
            # Every version ever read into the session is ISV-wide or this user's own.
            assert {v.user_id for v in _loaded_versions(session)} == {None, me}
    finally:
        await config.get_engine().dispose()

"""End-user API: the ISV's frontend calls with ``x-alloy-user-token`` at the paths the ISV
API answers with an API key; both keep working. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from install_service.security.keys import load_keys
from install_service.security.user_tokens import UserTokens
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.installs import finish_install, new_user

pytestmark = pytest.mark.usefixtures("backend")


def as_user(token: str) -> dict[str, str]:
    return {"x-alloy-user-token": token}


async def workflows_of(client, token: str) -> dict[str, dict]:
    """``GET /2024-03/workflows`` as the token's user, by workflowId."""
    response = await client.get("/2024-03/workflows", headers=as_user(token))
    assert response.status_code == 200, response.text
    return {w["workflowId"]: w for w in response.json()["data"]}


async def test_integrations_show_the_token_users_own_installation(
    client, isv: IsvFixture, other_isv: IsvFixture
) -> None:
    _, gregg = await new_user(client, isv, "gregg")
    _, ann = await new_user(client, isv, "ann")
    assert (await finish_install(client, isv.integration_id, gregg)).status_code == 200

    for version in ("2024-03", "2025-09"):
        mine = await client.get(f"/{version}/integrations", headers=as_user(gregg))
        assert mine.status_code == 200, mine.text
        [integration] = mine.json()["data"]
        assert integration["integrationId"] == isv.integration_id != other_isv.integration_id
        assert integration["installed"] is True
        assert all(
            w["installed"] and w["active"] and w["installedVersion"] == 1
            for w in integration["workflows"]
        )

    [theirs] = (await client.get("/2024-03/integrations", headers=as_user(ann))).json()["data"]
    assert theirs["installed"] is False and not any(w["installed"] for w in theirs["workflows"])


async def test_a_token_reads_only_its_own_user(client, isv: IsvFixture) -> None:
    gregg_id, gregg = await new_user(client, isv, "gregg")
    ann_id, _ = await new_user(client, isv, "ann")
    assert (await finish_install(client, isv.integration_id, gregg)).status_code == 200

    other = await client.get(f"/2024-03/integrations?userId={ann_id}", headers=as_user(gregg))
    assert other.status_code == 404 and other.json()["code"] == "user_not_found"
    for ref in (gregg_id, "gregg", ""):
        own = await client.get(f"/2024-03/integrations?userId={ref}", headers=as_user(gregg))
        assert own.status_code == 200 and own.json()["data"][0]["installed"] is True


async def test_the_isv_api_still_answers_the_same_paths_with_an_api_key(
    client, isv: IsvFixture
) -> None:
    user_id, token = await new_user(client, isv)
    assert (await finish_install(client, isv.integration_id, token)).status_code == 200
    workflow_id = (
        await client.get(f"/2024-03/integrations?userId={user_id}", headers=isv.headers)
    ).json()["data"][0]["workflows"][0]["workflowId"]

    listed = await client.get(f"/2024-03/integrations?userId={user_id}", headers=isv.headers)
    assert listed.status_code == 200 and listed.json()["data"][0]["installed"] is True
    without_user = await client.get("/2024-03/integrations", headers=isv.headers)
    assert without_user.status_code == 422 and without_user.json()["code"] == "user_id_required"
    paused = await client.put(
        "/2024-03/workflows/deactivate",
        json={"userId": user_id, "workflowId": workflow_id},
        headers=isv.headers,
    )
    assert paused.status_code == 200 and paused.json() == {"success": True}
    assert (await workflows_of(client, token))[workflow_id]["active"] is False


async def test_deactivate_and_activate_the_users_own_workflow(client, isv: IsvFixture) -> None:
    _, gregg = await new_user(client, isv, "gregg")
    _, ann = await new_user(client, isv, "ann")
    for token in (gregg, ann):
        assert (await finish_install(client, isv.integration_id, token)).status_code == 200
    workflow_id, other_id = list(await workflows_of(client, gregg))

    paused = await client.put(
        "/2024-03/workflows/deactivate", json={"workflowId": workflow_id}, headers=as_user(gregg)
    )
    assert paused.status_code == 200 and paused.json() == {"success": True}
    mine = await workflows_of(client, gregg)
    assert (mine[workflow_id]["active"], mine[other_id]["active"]) == (False, True)
    assert all(w["active"] for w in (await workflows_of(client, ann)).values())
    [listed] = (await client.get("/2024-03/integrations", headers=as_user(gregg))).json()["data"]
    assert {w["workflowId"]: w["active"] for w in listed["workflows"]} == {
        workflow_id: False,
        other_id: True,
    }

    resumed = await client.put(
        "/2025-09/workflows/activate", json={"workflowId": workflow_id}, headers=as_user(gregg)
    )
    assert resumed.status_code == 200 and resumed.json() == {"success": True}
    assert (await workflows_of(client, gregg))[workflow_id]["active"] is True


async def test_workflows_lists_every_workflow_with_the_users_state(client, isv: IsvFixture) -> None:
    _, token = await new_user(client, isv)
    before = await workflows_of(client, token)
    assert len(before) == 2 and not any(w["installed"] or w["active"] for w in before.values())
    assert {w["integrationId"] for w in before.values()} == {isv.integration_id}
    assert (await finish_install(client, isv.integration_id, token)).status_code == 200
    after = await workflows_of(client, token)
    assert all(
        (w["installed"], w["active"], w["installedVersion"]) == (True, True, 1)
        for w in after.values()
    )


async def test_another_isvs_or_uninstalled_workflow_is_404_and_changes_nothing(
    client, isv: IsvFixture, other_isv: IsvFixture
) -> None:
    _, token = await new_user(client, isv)
    _, other_token = await new_user(client, other_isv)
    assert (await finish_install(client, other_isv.integration_id, other_token)).status_code == 200
    foreign_id = next(iter(await workflows_of(client, other_token)))
    own_id = next(iter(await workflows_of(client, token)))

    for workflow_id, code in (
        (foreign_id, "workflow_not_found"),
        ("not-an-id", "workflow_not_found"),
        (own_id, "workflow_not_installed"),
    ):
        response = await client.put(
            "/2024-03/workflows/deactivate",
            json={"workflowId": workflow_id},
            headers=as_user(token),
        )
        assert response.status_code == 404 and response.json()["code"] == code, workflow_id
    assert (await workflows_of(client, other_token))[foreign_id]["active"] is True


async def test_activate_needs_a_workflow_id(client, isv: IsvFixture) -> None:
    _, token = await new_user(client, isv)
    for body in ({}, {"workflowId": 7}):
        response = await client.put(
            "/2024-03/workflows/activate", json=body, headers=as_user(token)
        )
        assert response.status_code == 422 and response.json()["code"] == "validation_error", body


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/2024-03/integrations", None),
        ("GET", "/2024-03/workflows", None),
        ("PUT", "/2024-03/workflows/activate", {"workflowId": "x"}),
        ("PUT", "/2024-03/workflows/deactivate", {"workflowId": "x"}),
    ],
)
async def test_no_bad_or_expired_token_is_401(
    client, isv: IsvFixture, settings: Settings, method: str, path: str, body: dict | None
) -> None:
    user_id, token = await new_user(client, isv)
    expired = UserTokens(load_keys(settings), issuer=settings.public_url).mint(
        user_id=user_id, isv_id=isv.isv_id, now=datetime.now(UTC) - timedelta(hours=2)
    )
    cases = [
        ({}, "unauthorized"),
        (as_user(""), "token_missing"),
        (as_user(token[:-4] + "AAAA"), "token_invalid"),
        (as_user("not.a.jwt"), "token_invalid"),
        (as_user(expired), "token_expired"),
    ]
    for headers, code in cases:
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.json()["code"] == code and response.json()["message"]


async def test_a_deleted_users_token_is_401(client, isv: IsvFixture) -> None:
    user_id, token = await new_user(client, isv)
    assert (await client.get("/2024-03/integrations", headers=as_user(token))).status_code == 200
    assert (
        await client.delete(f"/2023-12/users/{user_id}", headers=isv.headers)
    ).status_code == 200
    for path in ("/2024-03/integrations", "/2024-03/workflows"):
        response = await client.get(path, headers=as_user(token))
        assert response.status_code == 401 and response.json()["code"] == "token_unknown_user"

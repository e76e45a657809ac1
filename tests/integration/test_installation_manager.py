"""Installation Manager over the ISV API: installations of an integration, user-specific
versions that change one user only (at once, or after Alloy.update when they need input).
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.conftest import IsvFixture
from tests.support.installs import new_user
from tests.support.workflows import (
    BASE,
    REGION,
    STREAM,
    TRIGGER,
    draft,
    installed_user,
    release,
    versions_of,
    workflows_of,
)

pytestmark = pytest.mark.usefixtures("backend")


async def installations(client, isv: IsvFixture, integration_id: str | None = None) -> list[dict]:
    response = await client.get(
        f"{BASE}/integrations/{integration_id or isv.integration_id}/installations",
        headers=isv.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def user_draft(client, isv: IsvFixture, installation_id: str, workflow_id: str):
    return await client.post(
        f"{BASE}/installations/{installation_id}/workflows/{workflow_id}/versions",
        headers=isv.headers,
    )


async def two_users(client, isv: IsvFixture) -> tuple[str, str, str, str]:
    """Two users with the integration installed: (user 1, user 2, user 1's installation, a workflow)."""
    first = await installed_user(client, isv, "first")
    second = await installed_user(client, isv, "second")
    installation = next(i for i in await installations(client, isv) if i["userId"] == first)
    return first, second, installation["installationId"], installation["workflows"][0]["workflowId"]


async def test_installations_list_each_user_and_the_versions_they_run(
    client, isv: IsvFixture
) -> None:
    first = await installed_user(client, isv, "first")
    await new_user(client, isv, "browser")  # has not installed: not listed
    second = await installed_user(client, isv, "second")
    workflow_ids = list(await workflows_of(client, isv, first))

    listed = await installations(client, isv)

    assert [(i["userId"], i["username"]) for i in listed] == [(first, "first"), (second, "second")]
    for installation in listed:
        assert installation["installationId"] and installation["createdAt"].endswith("Z")
        assert [w["workflowId"] for w in installation["workflows"]] == workflow_ids
        assert {(w["version"], w["userSpecific"]) for w in installation["workflows"]} == {
            (1, False)
        }


async def test_a_user_specific_draft_is_made_once_and_shown_to_its_user_only(
    client, isv: IsvFixture
) -> None:
    first, second, installation_id, workflow_id = await two_users(client, isv)

    made = await user_draft(client, isv, installation_id, workflow_id)
    again = await user_draft(client, isv, installation_id, workflow_id)

    assert made.status_code == 201 and made.json()["version"] == 2
    assert (again.status_code, again.json()) == (200, made.json())
    mine = await versions_of(client, isv, workflow_id, first)
    assert [(v["version"], v["status"], v["userSpecific"]) for v in mine] == [
        (1, "released", False),
        (2, "draft", True),
    ]
    assert [v["version"] for v in await versions_of(client, isv, workflow_id, second)] == [1]
    assert [v["version"] for v in await versions_of(client, isv, workflow_id)] == [1]
    next_shared = await draft(client, isv, workflow_id, [TRIGGER])
    assert next_shared["version"] == 3  # numbers stay unique per workflow


async def test_releasing_a_change_that_needs_no_input_switches_that_user_at_once(
    client, isv: IsvFixture
) -> None:
    first, second, installation_id, workflow_id = await two_users(client, isv)
    made = (await user_draft(client, isv, installation_id, workflow_id)).json()
    url = f"{BASE}/workflows/{workflow_id}/versions/{made['versionId']}"
    edited = await client.patch(url, json={"blocks": [TRIGGER, STREAM]}, headers=isv.headers)
    assert edited.status_code == 200, edited.text

    released = await release(client, isv, workflow_id, made["versionId"])

    assert (released["userSpecific"], released["waitingForUpdate"], released["changes"]) == (
        True,
        False,
        [],
    )
    mine, theirs = (
        (await workflows_of(client, isv, first))[workflow_id],
        (await workflows_of(client, isv, second))[workflow_id],
    )
    assert (mine["version"], mine["installedVersion"]) == (2, 2)
    assert [b["id"] for b in mine["blocks"]] == ["bigcommerce-trigger", "stream-data"]
    assert (theirs["version"], theirs["installedVersion"]) == (1, 1)
    shown = {i["userId"]: i["workflows"][0] for i in await installations(client, isv)}
    assert (shown[first]["version"], shown[first]["userSpecific"], shown[first]["versionId"]) == (
        2,
        True,
        made["versionId"],
    )
    assert (shown[second]["version"], shown[second]["userSpecific"]) == (1, False)
    after = await user_draft(
        client, isv, installation_id, workflow_id
    )  # a new draft copies what the user runs
    assert after.status_code == 201 and after.json()["version"] == 3


async def test_releasing_a_change_that_needs_input_waits_for_the_user(
    client, isv: IsvFixture
) -> None:
    first, second, installation_id, workflow_id = await two_users(client, isv)
    made = (await user_draft(client, isv, installation_id, workflow_id)).json()
    url = f"{BASE}/workflows/{workflow_id}/versions/{made['versionId']}"
    await client.patch(url, json={"configurableFields": [REGION]}, headers=isv.headers)

    released = await release(client, isv, workflow_id, made["versionId"])

    assert (released["waitingForUpdate"], released["changes"]) == (
        True,
        ["new configurable field 'region'"],
    )
    mine = (await workflows_of(client, isv, first))[workflow_id]
    assert (mine["version"], mine["installedVersion"]) == (2, 1)
    assert (await workflows_of(client, isv, second))[workflow_id]["version"] == 1
    refused = await client.put(
        f"{BASE}/workflows/{workflow_id}/upgrade", params={"userId": first}, headers=isv.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "upgrade_needs_input")


async def test_user_drafts_name_what_is_wrong(client, isv: IsvFixture) -> None:
    first, _, installation_id, workflow_id = await two_users(client, isv)
    await client.delete(
        f"{BASE}/workflows/{workflow_id}", params={"userId": first}, headers=isv.headers
    )

    uninstalled = await user_draft(client, isv, installation_id, workflow_id)
    unknown_installation = await user_draft(client, isv, "nope", workflow_id)
    unknown_workflow = await user_draft(client, isv, installation_id, "nope")
    unknown_integration = await client.get(
        f"{BASE}/integrations/nope/installations", headers=isv.headers
    )

    assert (uninstalled.status_code, uninstalled.json()["code"]) == (404, "workflow_not_installed")
    assert (unknown_installation.status_code, unknown_installation.json()["code"]) == (
        404,
        "installation_not_found",
    )
    assert (unknown_workflow.status_code, unknown_workflow.json()["code"]) == (
        404,
        "workflow_not_found",
    )
    assert (unknown_integration.status_code, unknown_integration.json()["code"]) == (
        404,
        "integration_not_found",
    )
    assert [v["version"] for v in await versions_of(client, isv, workflow_id, first)] == [1]


async def test_another_isv_sees_none_of_it(client, isv: IsvFixture, other_isv: IsvFixture) -> None:
    first, _, installation_id, workflow_id = await two_users(client, isv)
    made = (await user_draft(client, isv, installation_id, workflow_id)).json()
    theirs = other_isv.headers

    answers = [
        await client.get(f"{BASE}/integrations/{isv.integration_id}/installations", headers=theirs),
        await client.post(
            f"{BASE}/installations/{installation_id}/workflows/{workflow_id}/versions",
            headers=theirs,
        ),
        await client.put(
            f"{BASE}/workflows/{workflow_id}/versions/{made['versionId']}/release", headers=theirs
        ),
    ]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (404, "integration_not_found"),
        (404, "installation_not_found"),
        (404, "workflow_not_found"),
    ]
    assert await installations(client, other_isv) == []
    assert [v["status"] for v in await versions_of(client, isv, workflow_id, first)] == [
        "released",
        "draft",
    ]


async def test_the_other_environment_sees_none_of_it(client, isv: IsvFixture) -> None:
    """Installations and user-specific versions belong to the environment of their user."""
    first, _, installation_id, workflow_id = await two_users(client, isv)  # development users
    made = (await user_draft(client, isv, installation_id, workflow_id)).json()
    production = isv.production_headers

    listed = await client.get(
        f"{BASE}/integrations/{isv.integration_id}/installations", headers=production
    )
    assert listed.status_code == 200 and listed.json()["data"] == []
    answers = [
        await client.post(
            f"{BASE}/installations/{installation_id}/workflows/{workflow_id}/versions",
            headers=production,
        ),
        await client.put(
            f"{BASE}/workflows/{workflow_id}/versions/{made['versionId']}/release",
            headers=production,
        ),
        await client.get(
            f"{BASE}/workflows/{workflow_id}/versions", params={"userId": first}, headers=production
        ),
    ]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert [v["status"] for v in await versions_of(client, isv, workflow_id, first)] == [
        "released",
        "draft",
    ]

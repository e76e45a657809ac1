"""A user's workflows over the ISV API: list, read, activate, deactivate, uninstall, upgrade.

End users install through the modal (against a fake BigCommerce); everything else goes
through the API as an ISV backend would. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from install_service.catalog.app_triggers import app_trigger_names
from install_service.workflows import version_services
from tests.conftest import IsvFixture
from tests.support.db_rows import count
from tests.support.installs import integration_for, new_user
from tests.support.workflows import (
    BASE,
    REGION,
    STREAM,
    TRIGGER,
    installed_user,
    publish,
    workflows_of,
)

pytestmark = pytest.mark.usefixtures("backend")


async def put(client, isv: IsvFixture, path: str, json: dict | None = None):
    return await client.put(f"{BASE}{path}", json=json, headers=isv.headers)


async def test_a_user_sees_every_workflow_with_their_own_state(client, isv: IsvFixture) -> None:
    newcomer, _ = await new_user(client, isv, "newcomer")
    user_id = await installed_user(client, isv)

    before = await workflows_of(client, isv, newcomer)
    after = await workflows_of(client, isv, user_id)

    assert list(before) == list(after) and len(after) == 2
    for workflow in before.values():
        assert (
            workflow["installed"],
            workflow["version"],
            workflow["installedVersion"],
            workflow["active"],
        ) == (False, 1, None, False)
        assert workflow["integrationId"] == isv.integration_id
    for workflow_id, workflow in after.items():
        assert (
            workflow["installed"],
            workflow["version"],
            workflow["installedVersion"],
            workflow["active"],
        ) == (True, 1, 1, True)
        assert workflow["blocks"] and all(
            b["icon"].startswith("http://testserver.local/static/") for b in workflow["blocks"]
        )
        one = await client.get(
            f"{BASE}/workflows/{workflow_id}", params={"userId": "gregg"}, headers=isv.headers
        )
        assert one.status_code == 200 and one.json() == workflow


async def test_reading_workflows_names_what_is_wrong(client, isv: IsvFixture) -> None:
    user_id, _ = await new_user(client, isv)
    workflow_id = next(iter(await workflows_of(client, isv, user_id)))

    missing_user = await client.get(f"{BASE}/workflows", headers=isv.headers)
    unknown_user = await client.get(
        f"{BASE}/workflows", params={"userId": "nobody"}, headers=isv.headers
    )
    unknown = await client.get(
        f"{BASE}/workflows/not-an-id", params={"userId": user_id}, headers=isv.headers
    )
    no_key = await client.get(f"{BASE}/workflows/{workflow_id}", params={"userId": user_id})

    assert (missing_user.status_code, missing_user.json()["code"]) == (422, "user_id_required")
    assert (unknown_user.status_code, unknown_user.json()["code"]) == (404, "user_not_found")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "workflow_not_found")
    assert no_key.status_code == 401


async def test_deactivate_and_activate_show_in_the_integration_listing(
    client, isv: IsvFixture
) -> None:
    user_id = await installed_user(client, isv)
    other_id = await installed_user(client, isv, "other")
    first, second = await workflows_of(client, isv, user_id)

    off = await put(client, isv, "/workflows/deactivate", {"userId": "gregg", "workflowId": first})
    assert (off.status_code, off.json()) == (200, {"success": True})
    listed = {
        w["workflowId"]: w["active"]
        for w in (await integration_for(client, isv, user_id))["workflows"]
    }
    assert listed == {first: False, second: True}
    assert all(w["active"] for w in (await workflows_of(client, isv, other_id)).values())

    on = await put(client, isv, "/workflows/activate", {"userId": user_id, "workflowId": first})
    assert (on.status_code, on.json()) == (200, {"success": True})
    assert all(w["active"] for w in (await workflows_of(client, isv, user_id)).values())


async def test_activation_errors_change_nothing(client, isv: IsvFixture) -> None:
    user_id = await installed_user(client, isv)
    newcomer, _ = await new_user(client, isv, "newcomer")
    workflow_id = next(iter(await workflows_of(client, isv, user_id)))

    not_installed = await put(
        client, isv, "/workflows/activate", {"userId": newcomer, "workflowId": workflow_id}
    )
    unknown = await put(
        client, isv, "/workflows/deactivate", {"userId": user_id, "workflowId": "nope"}
    )
    no_user = await put(client, isv, "/workflows/deactivate", {"workflowId": workflow_id})
    bad_json = await client.put(
        f"{BASE}/workflows/deactivate",
        content=b"{",
        headers={**isv.headers, "content-type": "application/json"},
    )

    assert (not_installed.status_code, not_installed.json()["code"]) == (
        404,
        "workflow_not_installed",
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "workflow_not_found")
    assert no_user.status_code == 422 and "userId" in no_user.json()["message"]
    assert bad_json.status_code == 400
    assert (await workflows_of(client, isv, newcomer))[workflow_id]["active"] is False
    assert all(w["active"] for w in (await workflows_of(client, isv, user_id)).values())


async def test_deactivate_workflows_turns_off_every_workflow_of_that_user_only(
    client, isv: IsvFixture
) -> None:
    user_id = await installed_user(client, isv)
    other_id = await installed_user(client, isv, "other")

    done = await put(client, isv, "/users/gregg/deactivate-workflows")
    unknown = await put(client, isv, "/users/nobody/deactivate-workflows")

    assert (done.status_code, done.json()) == (200, {"success": True})
    assert not any(w["active"] for w in (await workflows_of(client, isv, user_id)).values())
    assert all(w["active"] for w in (await workflows_of(client, isv, other_id)).values())
    assert (unknown.status_code, unknown.json()["code"]) == (404, "user_not_found")


async def test_uninstalling_the_last_workflow_removes_the_installation(
    client, isv: IsvFixture, database_url: str
) -> None:
    user_id = await installed_user(client, isv)
    other_id = await installed_user(client, isv, "other")
    first, second = await workflows_of(client, isv, user_id)

    gone = await client.delete(
        f"{BASE}/workflows/{first}", params={"userId": user_id}, headers=isv.headers
    )
    assert (gone.status_code, gone.json()) == (200, {"success": True})
    integration = await integration_for(client, isv, user_id)
    assert integration["installed"] is True
    assert {w["workflowId"]: w["installedVersion"] for w in integration["workflows"]} == {
        first: None,
        second: 1,
    }

    again = await client.delete(
        f"{BASE}/workflows/{first}", params={"userId": user_id}, headers=isv.headers
    )
    assert (again.status_code, again.json()["code"]) == (404, "workflow_not_installed")

    last = await client.delete(
        f"{BASE}/workflows/{second}", params={"userId": "gregg"}, headers=isv.headers
    )
    assert last.status_code == 200
    assert (await integration_for(client, isv, user_id))["installed"] is False
    assert await count(database_url, "installation") == 1  # the other user's
    assert all(w["installed"] for w in (await workflows_of(client, isv, other_id)).values())


async def test_upgrade_moves_one_user_to_the_newest_version_with_the_same_fields(
    client, isv: IsvFixture
) -> None:
    user_id = await installed_user(client, isv)
    other_id = await installed_user(client, isv, "other")
    workflow_id = next(iter(await workflows_of(client, isv, user_id)))
    await publish(client, isv, workflow_id, [TRIGGER, STREAM])

    waiting = (await workflows_of(client, isv, user_id))[workflow_id]
    assert (waiting["version"], waiting["installedVersion"]) == (2, 1)

    done = await put(client, isv, f"/workflows/{workflow_id}/upgrade?userId={user_id}")
    assert (done.status_code, done.json()) == (200, {"success": True})
    upgraded = (await workflows_of(client, isv, user_id))[workflow_id]
    assert (upgraded["version"], upgraded["installedVersion"]) == (2, 2)
    assert [b["id"] for b in upgraded["blocks"]] == ["bigcommerce-trigger", "stream-data"]
    assert (await workflows_of(client, isv, other_id))[workflow_id]["installedVersion"] == 1
    listed = await integration_for(client, isv, user_id)
    assert (
        next(w for w in listed["workflows"] if w["workflowId"] == workflow_id)["installedVersion"]
        == 2
    )


async def test_upgrade_is_refused_when_the_user_must_give_something_new(
    client, isv: IsvFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if Shopify had its trigger module (catalog/apps/shopify.py) with "order created".
    names = {**app_trigger_names(), "shopify": frozenset({"order created"})}
    monkeypatch.setattr(version_services, "app_trigger_names", lambda: names)
    user_id = await installed_user(client, isv)
    workflow_id = next(iter(await workflows_of(client, isv, user_id)))
    await publish(
        client,
        isv,
        workflow_id,
        [{**TRIGGER, "app": "shopify"}, STREAM],
        [REGION],
    )

    refused = await put(client, isv, f"/workflows/{workflow_id}/upgrade?userId={user_id}")

    assert (refused.status_code, refused.json()["code"]) == (422, "upgrade_needs_input")
    assert "new configurable field 'region'" in refused.json()["message"]
    assert "new app 'shopify'" in refused.json()["message"]
    assert (await workflows_of(client, isv, user_id))[workflow_id]["installedVersion"] == 1


async def test_upgrade_errors(client, isv: IsvFixture) -> None:
    newcomer, _ = await new_user(client, isv, "newcomer")
    workflow_id = next(iter(await workflows_of(client, isv, newcomer)))

    not_installed = await put(client, isv, f"/workflows/{workflow_id}/upgrade?userId={newcomer}")
    no_user = await put(client, isv, f"/workflows/{workflow_id}/upgrade")

    assert (not_installed.status_code, not_installed.json()["code"]) == (
        404,
        "workflow_not_installed",
    )
    assert (no_user.status_code, no_user.json()["code"]) == (422, "user_id_required")


async def test_another_isvs_workflows_are_not_found(
    client, isv: IsvFixture, other_isv: IsvFixture
) -> None:
    await installed_user(client, isv)
    workflow_id = next(iter(await workflows_of(client, isv, "gregg")))
    await new_user(client, other_isv, "gregg")  # same username, other ISV
    theirs = other_isv.headers

    answers = [
        await client.get(
            f"{BASE}/workflows/{workflow_id}", params={"userId": "gregg"}, headers=theirs
        ),
        await client.put(
            f"{BASE}/workflows/deactivate",
            json={"userId": "gregg", "workflowId": workflow_id},
            headers=theirs,
        ),
        await client.delete(
            f"{BASE}/workflows/{workflow_id}", params={"userId": "gregg"}, headers=theirs
        ),
        await client.put(
            f"{BASE}/workflows/{workflow_id}/upgrade", params={"userId": "gregg"}, headers=theirs
        ),
    ]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [(404, "workflow_not_found")] * 4
    assert workflow_id not in await workflows_of(client, other_isv, "gregg")
    assert all(
        w["installed"] and w["active"] for w in (await workflows_of(client, isv, "gregg")).values()
    )

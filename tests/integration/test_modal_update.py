"""The modal's update mode (``Alloy.update``): a newer version asks only for what is new,
the old version keeps running until the end user finishes."""

from __future__ import annotations

import json

import pytest

from tests.conftest import IsvFixture
from tests.support.db_rows import count
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.html import visible_text
from tests.support.receiver import Receiver
from tests.support.workflows import (
    REGION,
    STREAM,
    TRIGGER,
    first_workflow,
    installed_user,
    publish,
    workflows_of,
)

pytestmark = pytest.mark.usefixtures("backend")


def _connection_tests(store: FakeBigCommerce) -> list:
    """The store's connection-test calls (installing also registers webhooks in it)."""
    return [r for r in store.requests if r.path.endswith("/v2/store")]


async def _token(client, isv: IsvFixture, user_id: str) -> str:
    return (await client.get(f"/2023-12/users/{user_id}/token", headers=isv.headers)).json()[
        "token"
    ]


def _update(client, token: str, workflow_id: str, **form: str):
    data = {"integrationId": "", "id": workflow_id, "operation": "update", **form}
    return client.post("/forge-install/install", data=data, headers={"x-alloy-user-token": token})


async def test_update_asks_only_the_new_field_and_keeps_the_credential(
    client, settings, isv: IsvFixture, receiver: Receiver, bigcommerce: FakeBigCommerce
) -> None:
    user_id = await installed_user(client, isv)
    receiver.wait_for(1)
    workflow = await first_workflow(client, isv, user_id)
    await publish(client, isv, workflow["workflowId"], [TRIGGER, STREAM], [REGION])
    token = await _token(client, isv, user_id)
    app_calls = len(_connection_tests(bigcommerce))

    step = await client.get(
        "/forge-install/step",
        params={"id": workflow["workflowId"], "operation": "update"},
        headers={"x-alloy-user-token": token},
    )
    assert step.status_code == 200, step.text
    text = visible_text(step.text)
    assert "Region" in text and "v1 → v2" in text and "keeps running until you finish" in text
    assert "Access token" not in text and "Store hash" not in text  # the credential carries over

    missing = await _update(client, token, workflow["workflowId"])
    assert missing.status_code == 422 and "Enter region" in missing.text
    assert (await first_workflow(client, isv, user_id))[
        "installedVersion"
    ] == 1  # old version still live

    done = await _update(client, token, workflow["workflowId"], **{"config.region": "eu"})
    assert done.status_code == 200 and "BigCommerce is updated" in visible_text(done.text)
    after = (await workflows_of(client, isv, user_id))[workflow["workflowId"]]
    assert after["installedVersion"] == after["version"] == 2
    assert len(_connection_tests(bigcommerce)) == app_calls  # no new credential: no test
    assert await count(settings.database_url, "credential") == 1
    first, second = receiver.wait_for(2)
    assert json.loads(second.body)["credentials"] == json.loads(first.body)["credentials"]


async def test_update_to_a_pinned_version_and_unknown_versions(client, isv: IsvFixture) -> None:
    user_id = await installed_user(client, isv)
    workflow = await first_workflow(client, isv, user_id)
    v2 = await publish(client, isv, workflow["workflowId"], [TRIGGER, STREAM])
    await publish(
        client, isv, workflow["workflowId"], [TRIGGER, STREAM], [REGION]
    )  # v3 needs a region
    token = await _token(client, isv, user_id)

    done = await _update(client, token, workflow["workflowId"], versionId=v2["versionId"])
    assert done.status_code == 200, done.text
    assert (await first_workflow(client, isv, user_id))["installedVersion"] == 2

    unknown = await _update(
        client, token, workflow["workflowId"], versionId="0193a1b2-0000-7000-8000-000000000000"
    )
    assert unknown.status_code == 404 and "version" in unknown.text.lower()
    assert (await first_workflow(client, isv, user_id))["installedVersion"] == 2

"""Webhook deliveries belong to the environment of the end user they are about.

An installation by a development user is listed, read and redelivered with the
development API key only, and a production user's with the production key only: the
other key answers 404 ``delivery_not_found`` and sends nothing.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import IsvFixture
from tests.support.installs import eventually, finish_install
from tests.support.receiver import Receiver

pytestmark = pytest.mark.usefixtures("backend")


async def _install_as_new_user(client, isv: IsvFixture, headers: dict, username: str) -> str:
    """A new end user of the environment behind ``headers`` installs the integration."""
    created = await client.post("/2023-12/users", json={"username": username}, headers=headers)
    user_id = created.json()["userId"]
    token = (await client.get(f"/2023-12/users/{user_id}/token", headers=headers)).json()["token"]
    assert (await finish_install(client, isv.integration_id, token)).status_code == 200
    return user_id


async def test_each_environment_sees_and_redelivers_only_its_own_deliveries(
    client, isv: IsvFixture, receiver: Receiver
) -> None:
    keys = {"development": isv.headers, "production": isv.production_headers}
    users = {
        environment: await _install_as_new_user(client, isv, headers, f"{environment}-user")
        for environment, headers in keys.items()
    }
    sent = {json.loads(r.body)["userId"]: r.headers["webhook-id"] for r in receiver.wait_for(2)}

    async def delivered(headers: dict) -> list[dict]:
        listed = (await client.get("/2023-12/webhooks/deliveries", headers=headers)).json()["data"]
        return listed if all(d["status"] == "delivered" for d in listed) else []

    deliveries = {}
    for environment, headers in keys.items():
        [own] = await eventually(lambda headers=headers: delivered(headers))
        assert json.loads(own["payload"])["userId"] == users[environment]
        assert own["webhookId"] == sent[users[environment]]
        deliveries[environment] = own["deliveryId"]

    for environment, headers in keys.items():
        other = deliveries["production" if environment == "development" else "development"]
        for method, path in (
            ("GET", f"/2023-12/webhooks/deliveries/{other}"),
            ("POST", f"/2023-12/webhooks/deliveries/{other}/redeliver"),
        ):
            response = await client.request(method, path, headers=headers)
            assert response.status_code == 404, (environment, method, response.text)
            assert response.json()["code"] == "delivery_not_found"
        own = await client.get(
            f"/2023-12/webhooks/deliveries/{deliveries[environment]}", headers=headers
        )
        assert own.status_code == 200 and own.json()["attemptCount"] == 1

    # The refused redeliveries sent nothing: the next webhook to arrive is the one the
    # production key may redeliver.
    again = await client.post(
        f"/2023-12/webhooks/deliveries/{deliveries['production']}/redeliver",
        headers=keys["production"],
    )
    assert again.status_code == 202
    third = receiver.wait_for(3)[2]
    assert third.headers["webhook-id"] == sent[users["production"]]

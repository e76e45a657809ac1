"""ISV API: webhook deliveries, redelivery, secret rotation and the SSRF guard."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from install_service.app import create_app
from install_service.db.config import sqlalchemy_config
from install_service.db.models import Isv
from install_service.errors import InvalidInput
from install_service.isvs.services import create_isv
from install_service.webhooks.outbox import enqueue
from tests.conftest import IsvFixture
from tests.support.installs import eventually
from tests.support.receiver import Receiver

pytestmark = pytest.mark.usefixtures("backend")


async def _enqueue(
    settings, isv: IsvFixture, payload: dict, environment: str = "development"
) -> None:
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            enqueue(
                session,
                await session.get(Isv, uuid.UUID(isv.isv_id)),
                "installation.completed",
                payload,
                environment=environment,
            )
            await session.commit()
    finally:
        await config.get_engine().dispose()


async def test_deliveries_list_attempts_and_redeliver_with_the_same_webhook_id(
    client, settings, isv: IsvFixture, receiver: Receiver
) -> None:
    await _enqueue(settings, isv, {"hello": "world"})
    first = receiver.wait_for(1)[0]

    async def delivered() -> list[dict]:
        return (
            await client.get("/2023-12/webhooks/deliveries?status=delivered", headers=isv.headers)
        ).json()["data"]

    listed = await eventually(delivered)  # the receiver records before it answers
    assert [d["webhookId"] for d in listed] == [first.headers["webhook-id"]]
    detail = (
        await client.get(
            f"/2023-12/webhooks/deliveries/{listed[0]['deliveryId']}", headers=isv.headers
        )
    ).json()
    assert detail["status"] == "delivered" and detail["payload"] == '{"hello":"world"}'
    assert [a["statusCode"] for a in detail["attempts"]] == [200]

    again = await client.post(
        f"/2023-12/webhooks/deliveries/{listed[0]['deliveryId']}/redeliver", headers=isv.headers
    )
    assert again.status_code == 202
    second = receiver.wait_for(2)[1]
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert (
        await client.get("/2023-12/webhooks/deliveries?status=bogus", headers=isv.headers)
    ).status_code == 422


async def test_other_isv_cannot_see_or_redeliver_our_deliveries(
    client, settings, isv: IsvFixture, other_isv: IsvFixture, receiver: Receiver
) -> None:
    await _enqueue(settings, isv, {"n": 1})
    receiver.wait_for(1)
    delivery_id = (await client.get("/2023-12/webhooks/deliveries", headers=isv.headers)).json()[
        "data"
    ][0]["deliveryId"]
    assert (await client.get("/2023-12/webhooks/deliveries", headers=other_isv.headers)).json()[
        "data"
    ] == []
    assert (
        await client.get(f"/2023-12/webhooks/deliveries/{delivery_id}", headers=other_isv.headers)
    ).status_code == 404
    assert (
        await client.post(
            f"/2023-12/webhooks/deliveries/{delivery_id}/redeliver", headers=other_isv.headers
        )
    ).status_code == 404


async def test_rotated_secret_signs_alongside_the_old_one(
    client, settings, isv: IsvFixture, receiver: Receiver
) -> None:
    rotated = (await client.post("/2023-12/webhooks/secret/rotate", headers=isv.headers)).json()
    assert (
        rotated["webhookSecret"].startswith("whsec_")
        and rotated["webhookSecret"] != isv.webhook_secret
    )
    await _enqueue(settings, isv, {"after": "rotation"})
    request = receiver.wait_for(1)[0]
    assert request.headers["webhook-signature"].count("v1,") == 2
    for secret in (isv.webhook_secret, rotated["webhookSecret"]):
        Webhook(secret).verify(request.body, request.headers)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:8080/hook",
        "http://10.0.0.5/hook",
        "http://100.64.0.1/hook",  # CGNAT
        "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "http://[2002:a9fe:a9fe::1]/latest/meta-data",  # 6to4 of 169.254.169.254
        "http://[64:ff9b::a00:5]/hook",  # NAT64 of 10.0.0.5
    ],
)
async def test_webhook_urls_to_internal_addresses_are_refused_when_set(settings, url: str) -> None:
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            with pytest.raises(InvalidInput, match="refused"):
                await create_isv(session, name="Sneaky", allowed_origins=[], webhook_url=url)
    finally:
        await config.get_engine().dispose()


async def test_send_time_guard_refuses_a_url_resolving_to_loopback(
    settings, isv: IsvFixture, receiver: Receiver
) -> None:
    """The ISV's URL points at 127.0.0.1 (allowed when set, in this test); with the guard
    on at send time the attempt is refused and recorded, and nothing reaches the receiver."""
    guarded = replace(settings, webhook_allow_private=False)
    async with AsyncTestClient(
        app=create_app(guarded), base_url="http://testserver.local"
    ) as client:
        await _enqueue(settings, isv, {"n": 1})

        async def attempted() -> list[dict]:
            listed = (await client.get("/2023-12/webhooks/deliveries", headers=isv.headers)).json()[
                "data"
            ]
            return listed if listed and listed[0]["attemptCount"] else []

        listed = await eventually(attempted)
        assert listed[0]["status"] == "pending" and "refused" in listed[0]["lastError"]
    assert receiver.requests == []

"""Installation webhooks are delivered at least once: through a receiver outage and a
service restart, with every attempt recorded, and never twice by two workers."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import httpx
import pytest
from litestar.testing import AsyncTestClient

from install_service.app import create_app
from install_service.db.config import sqlalchemy_config
from install_service.db.models import Isv
from install_service.security.keys import load_keys
from install_service.webhooks.outbox import enqueue
from install_service.webhooks.worker import DeliveryWorker
from tests.conftest import IsvFixture
from tests.support.db_rows import rows
from tests.support.installs import eventually, finish_install, new_user
from tests.support.receiver import Receiver, Reply
from tests.support.webhooks import settled_deliveries, verify_both

pytestmark = pytest.mark.usefixtures("backend")

ATTEMPTS = (
    "SELECT d.message_id, d.status, a.status_code, a.latency_ms, a.response_body, a.error "
    "FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id ORDER BY a.attempted_at"
)


async def test_webhook_waits_out_a_receiver_outage_and_a_service_restart(
    modal_settings, isv: IsvFixture, receiver: Receiver, database_url: str
) -> None:
    settings = replace(
        modal_settings, webhook_retry_schedule_s=(2.0,) * 10
    )  # never gives up in this test
    port = receiver.port
    receiver.stop()
    async with AsyncTestClient(
        app=create_app(settings), base_url="http://testserver.local"
    ) as client_a:
        user_id, token = await new_user(client_a, isv)
        assert (await finish_install(client_a, isv.integration_id, token)).status_code == 200
        failed = await eventually(lambda: rows(database_url, ATTEMPTS))
    assert failed[0]["status_code"] is None and failed[0]["error"]  # connection refused, recorded
    [pending] = await rows(database_url, "SELECT status, message_id FROM webhook_delivery")
    assert pending["status"] == "pending" and pending["message_id"] == failed[0]["message_id"]

    receiver.start()  # back up, on the port the ISV registered
    assert receiver.port == port
    async with AsyncTestClient(
        app=create_app(settings), base_url="http://testserver.local"
    ) as client_b:
        [webhook] = receiver.wait_for(1)
        public_key = (await client_b.get("/security/public-key.pem")).content
        await settled_deliveries(database_url)  # nothing left for the worker to send
    assert len(receiver.requests) == 1
    assert webhook.headers["webhook-id"] == failed[0]["message_id"]
    assert json.loads(webhook.body)["userId"] == user_id
    verify_both(webhook, receiver.url, isv.webhook_secret, public_key)
    attempts = await rows(database_url, ATTEMPTS)
    assert [a["status_code"] for a in attempts if a["status_code"] is not None] == [200]
    assert all(a["status"] == "delivered" for a in attempts)


async def test_failed_attempt_is_retried_and_both_attempts_are_recorded(
    client, isv: IsvFixture, receiver: Receiver, database_url: str
) -> None:
    receiver.replies = [Reply(500, b'{"error":"try later"}')]
    user_id, token = await new_user(client, isv)
    assert (await finish_install(client, isv.integration_id, token)).status_code == 200
    first, second = receiver.wait_for(2)
    assert first.body == second.body and json.loads(first.body)["userId"] == user_id
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    public_key = (await client.get("/security/public-key.pem")).content
    for request in (first, second):  # each attempt is signed afresh, and each verifies
        verify_both(request, receiver.url, isv.webhook_secret, public_key)

    async def settled() -> list[dict]:
        found = await rows(database_url, ATTEMPTS)
        return found if len(found) == 2 and found[-1]["status"] == "delivered" else []

    attempts = await eventually(settled)
    assert [a["status_code"] for a in attempts] == [500, 200]
    assert [a["response_body"] for a in attempts] == ['{"error":"try later"}', '{"ok":true}']
    assert all(
        a["latency_ms"] >= 0 and a["message_id"] == first.headers["webhook-id"] for a in attempts
    )
    await settled_deliveries(database_url)  # delivered: the worker sends it no more
    assert len(receiver.requests) == 2


class CountingTransport(httpx.AsyncHTTPTransport):
    """Counts the webhooks one worker sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return await super().handle_async_request(request)


async def test_two_workers_on_one_postgresql_send_each_webhook_once(
    backend: str, settings, isv: IsvFixture, receiver: Receiver, database_url: str
) -> None:
    if backend != "postgresql":
        pytest.skip("several service processes share one outbox only on PostgreSQL")
    keys = load_keys(settings)
    writer, *configs = (
        sqlalchemy_config(database_url) for _ in range(3)
    )  # one engine each, like processes
    transports = [CountingTransport(), CountingTransport()]
    workers = [
        DeliveryWorker(c.create_session_maker(), keys, settings, transport=t)
        for c, t in zip(configs, transports, strict=True)
    ]
    for worker in workers:
        await worker.start()
    try:
        async with writer.get_session() as session:
            isv_row = await session.get(Isv, uuid.UUID(isv.isv_id))
            for n in range(20):
                enqueue(session, isv_row, "test.event", {"n": n}, environment="development")
            await session.commit()  # wakes both workers at once

        async def all_arrived() -> bool:
            return len(receiver.requests) >= 20

        await eventually(all_arrived)
        await settled_deliveries(database_url)
    finally:  # stop() waits for attempts in flight: every send is counted below
        for worker in workers:
            await worker.stop()
        for config in (writer, *configs):
            await config.get_engine().dispose()

    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == 20 and len(set(ids)) == 20
    assert sorted(json.loads(r.body)["n"] for r in receiver.requests) == list(range(20))
    assert (
        all(t.sent > 0 for t in transports) and sum(t.sent for t in transports) == 20
    )  # both took part
    delivered = await rows(database_url, "SELECT status, attempt_count FROM webhook_delivery")
    assert [(d["status"], d["attempt_count"]) for d in delivered] == [("delivered", 1)] * 20

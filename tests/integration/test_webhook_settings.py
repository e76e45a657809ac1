"""The ISV's webhook URLs: ``GET``/``PUT /webhooks/settings``, and ``workflow.failed``
deliveries going to the error webhook URL (else the webhook URL), signed like every
webhook. On SQLite and PostgreSQL, against real local receivers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from install_service.app import create_app
from install_service.db.config import sqlalchemy_config
from install_service.db.models import Isv
from install_service.db.transactions import write_transaction
from install_service.webhooks.outbox import INSTALLATION_COMPLETED, WORKFLOW_FAILED, enqueue
from tests.conftest import IsvFixture
from tests.support.db_rows import rows
from tests.support.receiver import Receiver
from tests.support.webhooks import settled_deliveries, verify_both

pytestmark = pytest.mark.usefixtures("backend")

SETTINGS = "/2023-12/webhooks/settings"
GLOBAL = "https://93.184.215.14"  # a global address: allowed with the guard on, no DNS needed
LOCAL = "http://127.0.0.1:9"  # allowed by the test settings (webhook_allow_private)


def failure(execution_id: str) -> dict[str, str]:
    """A ``workflow.failed`` payload (spec, "Workflow runtime")."""
    return {
        "type": WORKFLOW_FAILED,
        "userId": "user-1",
        "workflowId": "workflow-1",
        "executionId": execution_id,
        "block": "update-order-status",
        "message": "BigCommerce said: 404 Not Found",
        "errorOccurredAt": "2026-12-03T12:00:00Z",
    }


@pytest.fixture
def error_receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


async def _enqueue(settings, isv: IsvFixture, event_type: str, payload: dict) -> None:
    """Add a delivery as a failed execution will; begins as a writer (no read-then-write
    upgrade to meet the worker's SQLite write lock)."""
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session, write_transaction(session):
            enqueue(
                session,
                await session.get(Isv, uuid.UUID(isv.isv_id)),
                event_type,
                payload,
                environment="development",
            )
    finally:
        await config.get_engine().dispose()


async def _attempt_urls(database_url: str, execution_id: str) -> list[str]:
    return [
        r["url"]
        for r in await rows(
            database_url,
            "SELECT a.url FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id "
            "WHERE d.payload LIKE :like",
            like=f"%{execution_id}%",
        )
    ]


async def test_workflow_failed_goes_to_the_error_webhook_url_signed_and_else_to_the_webhook_url(
    client, settings, isv: IsvFixture, receiver: Receiver, error_receiver: Receiver
) -> None:
    public_key = (await client.get("/security/public-key.pem")).content
    put = await client.put(
        SETTINGS, json={"errorWebhookUrl": error_receiver.url}, headers=isv.headers
    )
    assert put.status_code == 200, put.text

    await _enqueue(settings, isv, WORKFLOW_FAILED, failure("exec-1"))
    await _enqueue(settings, isv, INSTALLATION_COMPLETED, {"userId": "user-1", "success": True})
    [failed] = error_receiver.wait_for(1)
    [installed] = receiver.wait_for(1)
    await settled_deliveries(settings.database_url)
    assert json.loads(failed.body) == failure("exec-1")
    assert failed.headers["webhook-id"].startswith("msg_")
    verify_both(failed, error_receiver.url, isv.webhook_secret, public_key)
    assert json.loads(installed.body)["success"] is True
    assert (len(receiver.requests), len(error_receiver.requests)) == (1, 1)
    assert await _attempt_urls(settings.database_url, "exec-1") == [error_receiver.url]

    cleared = await client.put(SETTINGS, json={"errorWebhookUrl": None}, headers=isv.headers)
    assert cleared.json() == {"webhookUrl": receiver.url, "errorWebhookUrl": None}
    await _enqueue(settings, isv, WORKFLOW_FAILED, failure("exec-2"))
    [_, fallback] = receiver.wait_for(2)
    await settled_deliveries(settings.database_url)
    assert json.loads(fallback.body) == failure("exec-2")
    verify_both(fallback, receiver.url, isv.webhook_secret, public_key)
    assert len(error_receiver.requests) == 1
    assert await _attempt_urls(settings.database_url, "exec-2") == [receiver.url]


async def test_settings_round_trip_and_either_key_alone_keeps_the_other(
    client, isv: IsvFixture, other_isv: IsvFixture, receiver: Receiver
) -> None:
    assert (await client.get(SETTINGS, headers=isv.headers)).json() == {
        "webhookUrl": receiver.url,
        "errorWebhookUrl": None,
    }
    both = {"webhookUrl": f"{LOCAL}/hooks", "errorWebhookUrl": receiver.url}
    for version in ("2023-12", "2025-09"):
        put = await client.put(f"/{version}/webhooks/settings", json=both, headers=isv.headers)
        assert (put.status_code, put.json()) == (200, both)
    errors_only = {"errorWebhookUrl": f"{LOCAL}/errors"}
    put = await client.put(SETTINGS, json=errors_only, headers=isv.headers)
    assert put.json() == {"webhookUrl": both["webhookUrl"], **errors_only}
    for headers in (isv.headers, isv.production_headers):  # the ISV's, whichever key asks
        assert (await client.get(SETTINGS, headers=headers)).json() == put.json()
    cleared = await client.put(SETTINGS, json={"webhookUrl": None}, headers=isv.headers)
    assert cleared.json() == {"webhookUrl": None, **errors_only}
    assert (await client.get(SETTINGS, headers=other_isv.headers)).json() == {
        "webhookUrl": None,
        "errorWebhookUrl": None,
    }
    assert (await client.get(SETTINGS)).status_code == 401
    assert (await client.put(SETTINGS, json=both)).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"errorWebhookUrl": "ftp://acme.example.com/errors"},
        {"webhookUrl": f"{GLOBAL}/ok", "errorWebhookUrl": "not a url"},
        {"webhookUrl": "javascript:alert(1)", "errorWebhookUrl": f"{GLOBAL}/ok"},
        {"errorWebhookUrl": "http://169.254.169.254/latest/meta-data"},
        {"webhookUrl": f"{GLOBAL}/ok", "errorWebhookUrl": "http://10.0.0.5/hook"},
    ],
    ids=["ftp", "not-a-url", "javascript", "metadata", "private"],
)
async def test_a_refused_url_is_the_unsafe_webhook_url_answer_and_changes_nothing(
    settings, isv: IsvFixture, receiver: Receiver, body: dict
) -> None:
    guarded = replace(settings, webhook_allow_private=False)
    async with AsyncTestClient(
        app=create_app(guarded), base_url="http://testserver.local"
    ) as client:
        before = (await client.get(SETTINGS, headers=isv.headers)).json()
        response = await client.put(SETTINGS, json=body, headers=isv.headers)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "unsafe_webhook_url"
        refused = next(k for k, v in body.items() if "/ok" not in v)
        assert response.json()["message"].startswith(f"{refused}: ")
        assert (await client.get(SETTINGS, headers=isv.headers)).json() == before


async def test_malformed_settings_bodies_are_422_and_change_nothing(
    client, isv: IsvFixture, receiver: Receiver
) -> None:
    for body, named in (
        ({"errorWebhookUrl": 5}, "errorWebhookUrl"),
        ({"errorUrl": f"{LOCAL}/x"}, "errorUrl"),
        ({"webhookUrl": f"{LOCAL}/" + "x" * 2048}, "webhookUrl"),
    ):
        response = await client.put(SETTINGS, json=body, headers=isv.headers)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "validation_error" and named in response.json()["message"]
    assert (await client.get(SETTINGS, headers=isv.headers)).json()["webhookUrl"] == receiver.url

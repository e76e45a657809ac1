"""App triggers end to end against the fake BigCommerce (a real HTTP server): installing
registers the store's webhook, a callback fetches the order and streams it signed to the
ISV, and redelivered, forged, deactivated and uninstalled cases stream nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from install_service.catalog.loader import load_catalog, parse_catalog
from install_service.db.config import sqlalchemy_config
from install_service.runtime import retention
from install_service.runtime.engine import system_database_url
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.db_rows import count, places_holding
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH, eventually
from tests.support.receiver import Receiver
from tests.support.runtime import finished_execution
from tests.support.workflows import BASE, installed_user, workflows_of

CATALOG = """
integrations:
  - key: acme-bigcommerce
    app: bigcommerce
    name: BigCommerce
    workflows:
      - key: order-created
        name: When a new order is created in BigCommerce, create a new record in AcmeCo
        blocks:
          - {{id: bigcommerce-trigger, type: appTrigger, name: BigCommerce Trigger,
             app: bigcommerce, event: order created}}
          - {{id: stream-data, type: streamData, name: Stream Data, config: {{url: "{url}"}}}}
      - key: order-audit
        name: Audit new orders
        blocks:
          - {{id: trigger, type: appTrigger, name: New order, app: bigcommerce,
             event: order created}}
          - {{id: audit, type: dataMapping, name: Audit,
             mapping: {{order: "{{{{ trigger.id }}}}", status: "{{{{ trigger.status }}}}"}}}}
"""
STREAM_WORKFLOW = "When a new order is created in BigCommerce, create a new record in AcmeCo"

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def inbox() -> Iterator[Receiver]:
    """AcmeCo's Stream Data endpoint."""
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
async def triggered(settings: Settings, isv: IsvFixture, inbox: Receiver) -> IsvFixture:
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            await load_catalog(
                session, parse_catalog(CATALOG.format(url=inbox.url)), uuid.UUID(isv.isv_id)
            )
            await session.commit()
    finally:
        await config.get_engine().dispose()
    return isv


def _path(hook: dict[str, Any]) -> str:
    return urlsplit(hook["destination"]).path


async def _callback(
    client: AsyncTestClient,
    hook: dict[str, Any],
    order_id: int = 101,
    *,
    hash_: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """What BigCommerce posts for ``hook`` (source: BigCommerce Webhooks API, payload)."""
    body = {
        "scope": hook["scope"],
        "store_id": "1001",
        "data": {"type": "order", "id": order_id},
        "hash": hash_ or uuid.uuid4().hex,
        "created_at": 1764800000,
        "producer": f"stores/{STORE_HASH}",
    }
    sent_headers = hook["headers"] if headers is None else headers
    return await client.post(
        _path(hook),
        content=json.dumps(body),
        headers={"content-type": "application/json", **sent_headers},
    )


async def _installed(
    client: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce
) -> tuple[str, dict[str, str], dict[str, Any]]:
    user_id = await installed_user(client, isv)
    [hook] = store.wait_for_hooks(STORE_HASH, 1)
    names = {w["name"]: w for w in (await workflows_of(client, isv, user_id)).values()}
    workflow_ids = {name: w["workflowId"] for name, w in names.items()}
    return user_id, workflow_ids, hook


async def test_install_registers_one_hook_and_a_callback_streams_the_order(
    triggered: IsvFixture,
    client: AsyncTestClient,
    store: FakeBigCommerce,
    inbox: Receiver,
    settings: Settings,
) -> None:
    user_id, workflows, hook = await _installed(client, triggered, store)

    # One subscription for the two workflows on "order created".
    assert hook["scope"] == "store/order/created" and hook["is_active"] is True
    assert hook["destination"].startswith(f"{settings.public_url}/triggers/bigcommerce/")
    assert len(hook["headers"]["X-Hook-Secret"]) >= 32
    created = [r for r in store.hooks_calls() if r.method == "POST"]
    assert created[0].headers["x-auth-token"] == ACCESS_TOKEN

    answer = await _callback(client, hook)
    assert answer.status_code == 200, answer.text
    ids = answer.json()["executionIds"]
    assert answer.json()["success"] is True and len(ids) == 2  # one per listening workflow

    [posted] = inbox.wait_for(1)
    body = json.loads(posted.body)
    stream_workflow = workflows[STREAM_WORKFLOW]
    assert body["data"]["id"] == 101 and body["data"]["status"] == "Awaiting Fulfillment"
    assert body["workflowId"] == stream_workflow and body["userId"] == user_id
    assert body["executionId"] in ids
    Webhook(triggered.webhook_secret).verify(posted.body, posted.headers)
    assert "x-alloy-signature" in posted.headers
    run = await finished_execution(client, triggered, stream_workflow, user_id, body["executionId"])
    assert run["status"] == "success", run
    assert [b["blockId"] for b in run["blocks"]] == ["bigcommerce-trigger", "stream-data"]
    assert run["blocks"][0]["output"]["id"] == 101  # the fetched order
    assert run["trigger"]["data"] == {"type": "order", "id": 101}  # what BigCommerce sent
    audit = await finished_execution(
        client,
        triggered,
        workflows["Audit new orders"],
        user_id,
        next(i for i in ids if i != body["executionId"]),
    )
    assert audit["blocks"][-1]["output"] == {"order": 101, "status": "Awaiting Fulfillment"}


async def test_redelivered_forged_and_malformed_callbacks_run_nothing(
    triggered: IsvFixture, client: AsyncTestClient, store: FakeBigCommerce, inbox: Receiver
) -> None:
    _, _, hook = await _installed(client, triggered, store)
    first = await _callback(client, hook, hash_="same-delivery")
    assert first.status_code == 200 and len(first.json()["executionIds"]) == 2
    inbox.wait_for(1)

    again = await _callback(client, hook, hash_="same-delivery")
    assert again.status_code == 200 and again.json()["executionIds"] == []

    missing = await _callback(client, hook, headers={})
    assert missing.status_code == 401 and missing.json()["code"] == "hook_secret_missing"
    wrong = await _callback(client, hook, headers={"X-Hook-Secret": "x" * 43})
    assert wrong.status_code == 403 and wrong.json()["code"] == "hook_secret_invalid"
    unknown = dict(hook, destination=hook["destination"].rsplit("/", 1)[0] + f"/{uuid.uuid4()}")
    assert (await _callback(client, unknown)).status_code == 404
    shapeless = await client.post(
        _path(hook), json={"scope": hook["scope"], "data": {}}, headers=hook["headers"]
    )
    assert shapeless.status_code == 400 and shapeless.json()["code"] == "invalid_callback"

    # The one real delivery streamed once: a later good callback is the next to arrive.
    nxt = await _callback(client, hook, order_id=101)
    assert nxt.status_code == 200
    assert len(inbox.wait_for(2)) == 2


async def test_deactivated_workflow_runs_nothing_and_uninstall_deletes_the_hook(
    triggered: IsvFixture, client: AsyncTestClient, store: FakeBigCommerce, inbox: Receiver
) -> None:
    user_id, workflows, hook = await _installed(client, triggered, store)
    stream_workflow, audit_workflow = workflows[STREAM_WORKFLOW], workflows["Audit new orders"]
    off = await client.put(
        f"{BASE}/workflows/deactivate",
        json={"userId": user_id, "workflowId": stream_workflow},
        headers=triggered.headers,
    )
    assert off.status_code in (200, 204), off.text

    answer = await _callback(client, hook)
    [audit_id] = answer.json()["executionIds"]  # only the active workflow runs
    await finished_execution(client, triggered, audit_workflow, user_id, audit_id)
    assert inbox.requests == []

    # The audit workflow still needs the hook; removing the last user of it deletes it.
    for workflow_id in (stream_workflow, audit_workflow):
        gone = await client.delete(
            f"{BASE}/workflows/{workflow_id}", params={"userId": user_id}, headers=triggered.headers
        )
        assert gone.status_code in (200, 204), gone.text
        if workflow_id == stream_workflow:
            assert len(store.hooks(STORE_HASH)) == 1
    store.wait_for_hooks(STORE_HASH, 0)
    deletes = [r for r in store.hooks_calls() if r.method == "DELETE"]
    assert [urlsplit(r.path).path.rsplit("/", 1)[1] for r in deletes] == [str(hook["id"])]
    assert (await _callback(client, hook)).status_code == 404


async def test_deleting_the_user_deletes_their_hook(
    triggered: IsvFixture, client: AsyncTestClient, store: FakeBigCommerce
) -> None:
    user_id, _, _ = await _installed(client, triggered, store)
    gone = await client.delete(f"{BASE}/users/{user_id}", headers=triggered.headers)
    assert gone.status_code in (200, 204), gone.text
    store.wait_for_hooks(STORE_HASH, 0)


async def test_a_bigcommerce_outage_during_registration_is_retried(
    triggered: IsvFixture, client: AsyncTestClient, store: FakeBigCommerce
) -> None:
    store.hooks_error_next(500, count=2)  # fewer than the attempts (3 in tests)
    await installed_user(client, triggered)
    [hook] = store.wait_for_hooks(STORE_HASH, 1)
    assert hook["is_active"] is True
    failed = [r for r in store.hooks_calls(answered=True)]
    assert len(failed) >= 3


async def test_registration_that_outlasts_the_retries_shows_in_the_errors(
    triggered: IsvFixture, client: AsyncTestClient, store: FakeBigCommerce
) -> None:
    store.hooks_error_next(503, count=50)
    user_id = await installed_user(client, triggered)
    workflows = {
        w["name"]: w["workflowId"]
        for w in (await workflows_of(client, triggered, user_id)).values()
    }

    async def errors() -> list[dict[str, Any]]:
        response = await client.get(
            f"{BASE}/workflows/{workflows[STREAM_WORKFLOW]}/errors",
            params={"userId": user_id},
            headers=triggered.headers,
        )
        return response.json()["data"]

    [error] = await eventually(errors, timeout_s=20)
    assert error["block"] == "BigCommerce Trigger"
    assert "Could not subscribe" in error["message"] and ACCESS_TOKEN not in error["message"]
    assert store.hooks(STORE_HASH) == []


async def test_delivery_receipts_are_kept_seven_days(
    triggered: IsvFixture, client: AsyncTestClient, store: FakeBigCommerce, database_url: str
) -> None:
    _, _, hook = await _installed(client, triggered, store)
    assert (await _callback(client, hook, hash_="kept")).status_code == 200
    now = datetime.now(UTC)

    await asyncio.to_thread(
        client.blocking_portal.call, retention.purge_older_than, now + timedelta(days=6)
    )
    assert await count(database_url, "hook_receipt") == 1
    assert (await _callback(client, hook, hash_="kept")).json()["executionIds"] == []

    await asyncio.to_thread(
        client.blocking_portal.call, retention.purge_older_than, now + timedelta(days=8)
    )
    assert await count(database_url, "hook_receipt") == 0


async def test_an_app_triggered_execution_reruns_and_fetches_the_order_again(
    triggered: IsvFixture,
    client: AsyncTestClient,
    store: FakeBigCommerce,
    inbox: Receiver,
    modal_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user_id, workflows, hook = await _installed(client, triggered, store)
    stream_workflow = workflows[STREAM_WORKFLOW]
    await _callback(client, hook)
    [first] = inbox.wait_for(1)
    execution_id = json.loads(first.body)["executionId"]
    store.add_order(STORE_HASH, 101, status_id=2)  # the order moved on meanwhile

    rerun = await client.post(
        f"{BASE}/workflows/{stream_workflow}/rerun/{execution_id}",
        params={"userId": user_id},
        headers=triggered.headers,
    )
    assert rerun.status_code in (200, 201), rerun.text
    new_id = rerun.json()["executionId"]
    run = await finished_execution(client, triggered, stream_workflow, user_id, new_id)
    assert run["status"] == "success" and new_id != execution_id
    second = json.loads(inbox.wait_for(2)[1].body)
    assert second["executionId"] == new_id and second["data"]["status"] == "Shipped"
    # The secrets rule, for app-triggered runs, their reruns and the sealed subscription.
    dbos_url = system_database_url(modal_settings)
    assert await places_holding(modal_settings.database_url, dbos_url, ACCESS_TOKEN.encode()) == []
    assert ACCESS_TOKEN not in caplog.text

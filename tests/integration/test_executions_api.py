"""Executions out: failures in errors and at the ISV, rerun, analytics, purge, environments."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.db_rows import count
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH
from tests.support.receiver import Receiver
from tests.support.runtime import (
    finished_execution,
    fulfillment_workflow_id,
    logs,
    order_event,
    send_event,
)
from tests.support.workflows import BASE, installed_user


async def _run(client, isv, user_id, workflow_id, data) -> dict:
    sent = await send_event(client, isv, user_id, data)
    assert sent.status_code == 200, sent.text
    [execution_id] = sent.json()["executionIds"]
    return await finished_execution(client, isv, workflow_id, user_id, execution_id)


async def test_a_failed_block_shows_in_errors_and_reaches_the_isv_signed(
    client: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce, receiver: Receiver
) -> None:
    user_id = await installed_user(client, isv)
    workflow_id = await fulfillment_workflow_id(client, isv, user_id)
    receiver.wait_for(1)  # the installation webhook
    before = len(receiver.requests)

    failed = await _run(client, isv, user_id, workflow_id, order_event("101", "LOST IN SPACE"))

    assert failed["status"] == "failed"
    [block] = failed["blocks"]
    assert block["status"] == "failed" and "Shipped" in block["error"]  # names accepted values
    assert store.order(STORE_HASH, 101)["status_id"] == 11  # unchanged
    errors = await client.get(
        f"{BASE}/workflows/{workflow_id}/errors", params={"userId": user_id}, headers=isv.headers
    )
    [error] = errors.json()["data"]
    assert error["executionId"] == failed["executionId"] and error["workflowId"] == workflow_id
    assert error["block"] == "BigCommerce" and error["message"] == block["error"]
    assert error["errorOccurredAt"]
    [webhook] = receiver.wait_for(before + 1)[before:]
    payload = Webhook(isv.webhook_secret).verify(webhook.body, webhook.headers)
    assert payload["type"] == "workflow.failed"
    assert {k: payload[k] for k in ("userId", "workflowId", "executionId", "block", "message")} == {
        "userId": user_id,
        "workflowId": workflow_id,
        "executionId": failed["executionId"],
        "block": "BigCommerce",
        "message": error["message"],
    }


async def test_a_refused_token_fails_at_once_and_rerun_succeeds_after_the_fix(
    client: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce
) -> None:
    user_id = await installed_user(client, isv)
    workflow_id = await fulfillment_workflow_id(client, isv, user_id)
    store.set_token(STORE_HASH, "rotated-by-the-merchant")

    failed = await _run(client, isv, user_id, workflow_id, order_event())

    assert failed["status"] == "failed"
    assert len([r for r in store.requests if r.method == "PUT"]) == 1  # a 401 is not retried
    store.set_token(STORE_HASH, ACCESS_TOKEN)
    rerun = await client.post(
        f"{BASE}/workflows/{workflow_id}/rerun/{failed['executionId']}",
        params={"userId": user_id},
        headers=isv.headers,
    )
    assert rerun.status_code == 200, rerun.text
    new_id = rerun.json()["executionId"]
    assert new_id != failed["executionId"]
    again = await finished_execution(client, isv, workflow_id, user_id, new_id)
    assert again["status"] == "success" and again["trigger"] == failed["trigger"]
    assert store.order(STORE_HASH, 101)["status_id"] == 2
    missing = await client.post(
        f"{BASE}/workflows/{workflow_id}/rerun/{user_id}",
        params={"userId": user_id},
        headers=isv.headers,
    )
    assert missing.status_code == 404 and missing.json()["code"] == "execution_not_found"


async def test_logs_are_newest_first_and_paginated(
    client: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce
) -> None:
    user_id = await installed_user(client, isv)
    workflow_id = await fulfillment_workflow_id(client, isv, user_id)
    ids = [
        (await _run(client, isv, user_id, workflow_id, order_event()))["executionId"]
        for _ in range(3)
    ]

    first = await logs(client, isv, workflow_id, user_id, limit=2)
    second = await logs(client, isv, workflow_id, user_id, limit=2, cursor=first["nextCursor"])

    assert [e["executionId"] for e in first["data"] + second["data"]] == ids[::-1]
    assert second["nextCursor"] is None


async def test_analytics_count_runs_app_actions_and_errors_per_day(
    client: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce
) -> None:
    user_id = await installed_user(client, isv)
    workflow_id = await fulfillment_workflow_id(client, isv, user_id)
    await _run(client, isv, user_id, workflow_id, order_event())
    await _run(client, isv, user_id, workflow_id, order_event("101", "NOPE"))

    answer = await client.get(f"{BASE}/workflows/{workflow_id}/analytics", headers=isv.headers)

    body = answer.json()
    assert (body["totalWorkflowRuns"], body["totalAppActions"], body["totalErrors"]) == (2, 1, 1)
    assert len(body["days"]) == 30
    today = datetime.now(UTC).date().isoformat()
    assert body["days"][-1] == {"date": today, "runs": 2, "appActions": 1, "errors": 1}
    production = await client.get(
        f"{BASE}/workflows/{workflow_id}/analytics", headers=isv.production_headers
    )
    assert production.json()["totalWorkflowRuns"] == 0


async def test_purging_a_users_logs_removes_our_records_and_dbos_records(
    client: AsyncTestClient,
    isv: IsvFixture,
    store: FakeBigCommerce,
    settings: Settings,
    database_url: str,
) -> None:
    from dbos import DBOS

    user_id = await installed_user(client, isv)
    other_id = await installed_user(client, isv, "nia")
    workflow_id = await fulfillment_workflow_id(client, isv, user_id)
    mine = await _run(client, isv, user_id, workflow_id, order_event())
    theirs = await _run(client, isv, other_id, workflow_id, order_event())

    purged = await client.delete(f"{BASE}/users/{user_id}/logs", headers=isv.headers)

    assert purged.status_code == 200 and purged.json() == {"success": True}
    assert (await logs(client, isv, workflow_id, user_id))["data"] == []
    assert len((await logs(client, isv, workflow_id, other_id))["data"]) == 1
    assert await count(database_url, "execution") == 1
    assert await DBOS.list_workflows_async(workflow_ids=[mine["executionId"]]) == []
    assert len(await DBOS.list_workflows_async(workflow_ids=[theirs["executionId"]])) == 1


async def test_other_environment_sees_no_logs(
    client: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce
) -> None:
    user_id = await installed_user(client, isv)
    workflow_id = await fulfillment_workflow_id(client, isv, user_id)
    await _run(client, isv, user_id, workflow_id, order_event())
    for path in ("logs", "errors"):
        answer = await client.get(
            f"{BASE}/workflows/{workflow_id}/{path}",
            params={"userId": user_id},
            headers=isv.production_headers,
        )
        assert answer.status_code == 404 and answer.json()["code"] == "user_not_found"
    sent = await send_event(client, isv, user_id, order_event(), headers=isv.production_headers)
    assert sent.status_code == 404

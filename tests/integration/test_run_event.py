"""POST /run/event: an installed workflow really runs and changes the end user's BigCommerce
order with the end user's own token; refused events run nothing."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.conftest import IsvFixture
from tests.support.db_rows import count
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH, send_concurrently
from tests.support.runtime import (
    finished_execution,
    fulfillment_workflow_id,
    logs,
    order_event,
    send_event,
)
from tests.support.workflows import BASE, installed_user


async def test_event_updates_the_users_order_with_the_users_token(
    client: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce
) -> None:
    user_id = await installed_user(client, isv)
    workflow_id = await fulfillment_workflow_id(client, isv, user_id)

    sent = await send_event(client, isv, user_id, order_event("101", "FULFILLED"))

    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["success"] is True and len(body["executionIds"]) == 1
    execution = await finished_execution(client, isv, workflow_id, user_id, body["executionIds"][0])
    assert execution["status"] == "success", execution
    assert execution["trigger"] == {"orderId": "101", "status": "FULFILLED"}
    assert execution["userId"] == user_id and execution["workflowId"] == workflow_id
    assert store.order(STORE_HASH, 101)["status_id"] == 2  # FULFILLED -> Shipped
    [block] = execution["blocks"]
    assert block["blockId"] == "update-order-status" and block["status"] == "success"
    assert block["output"]["status_id"] == 2
    assert execution["startedAt"] and execution["stoppedAt"]
    put = [r for r in store.requests if r.method == "PUT"]
    assert len(put) == 1 and put[0].headers["x-auth-token"] == ACCESS_TOKEN
    assert put[0].path == f"/stores/{STORE_HASH}/v2/orders/101"


async def test_events_lists_the_custom_events_and_their_schema(
    client: AsyncTestClient, isv: IsvFixture
) -> None:
    user_id = await installed_user(client, isv)
    answer = await client.get(f"{BASE}/events", params={"userId": user_id}, headers=isv.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "data": [
            {"event": "Fulfillment Updated", "schema": {"orderId": "String", "status": "String"}}
        ]
    }
    unknown = await client.get(f"{BASE}/events", params={"userId": "nobody"}, headers=isv.headers)
    assert unknown.status_code == 404


async def test_refused_events_run_nothing(
    client: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce, database_url: str
) -> None:
    user_id = await installed_user(client, isv)

    nobody = await send_event(client, isv, "no-such-user", order_event())
    unknown = await send_event(client, isv, user_id, order_event(), event="Order Teleported")
    wrong = await send_event(client, isv, user_id, {"orderId": 5})
    not_object = await send_event(client, isv, user_id, ["101"])
    huge = await send_event(client, isv, user_id, {**order_event(), "note": "x" * 300_000})

    assert nobody.status_code == 404 and nobody.json()["code"] == "user_not_found"
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_event"
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_event_data"
    assert sorted(e["field"] for e in wrong.json()["errors"]) == ["orderId", "status"]
    assert all(e["message"] for e in wrong.json()["errors"])
    assert not_object.status_code == 422 and not_object.json()["errors"][0]["field"] == "data"
    assert huge.status_code == 413
    assert await count(database_url, "execution") == 0
    assert [r for r in store.requests if "/orders/" in r.path] == []


async def test_same_idempotency_key_answers_the_same_executions_and_runs_once(
    client: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce
) -> None:
    user_id = await installed_user(client, isv)
    workflow_id = await fulfillment_workflow_id(client, isv, user_id)
    key = {"Idempotency-Key": "evt-42"}

    first = await send_event(client, isv, user_id, order_event(), headers=key)
    again = await send_event(client, isv, user_id, order_event(), headers=key)
    by_event_id = await send_event(client, isv, user_id, order_event(), eventId="evt-43")
    by_event_id_again = await send_event(client, isv, user_id, order_event(), eventId="evt-43")

    assert first.status_code == again.status_code == 200
    assert first.json()["executionIds"] == again.json()["executionIds"]
    assert by_event_id.json()["executionIds"] == by_event_id_again.json()["executionIds"]
    assert by_event_id.json()["executionIds"] != first.json()["executionIds"]
    for execution_id in first.json()["executionIds"] + by_event_id.json()["executionIds"]:
        await finished_execution(client, isv, workflow_id, user_id, execution_id)
    assert len((await logs(client, isv, workflow_id, user_id))["data"]) == 2
    assert len([r for r in store.requests if r.method == "PUT"]) == 2


async def test_concurrent_first_uses_of_a_key_start_one_execution(
    client: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce
) -> None:
    user_id = await installed_user(client, isv)
    request = {
        "json": {"event": "Fulfillment Updated", "userId": user_id, "data": order_event()},
        "headers": {**isv.headers, "Idempotency-Key": "evt-race"},
    }
    answers = await send_concurrently(
        client, [client.build_request("POST", f"{BASE}/run/event", **request) for _ in range(4)]
    )
    assert {a.status_code for a in answers} == {200}
    assert len({tuple(a.json()["executionIds"]) for a in answers}) == 1


async def test_a_deactivated_workflow_does_not_run(
    client: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce
) -> None:
    user_id = await installed_user(client, isv)
    workflow_id = await fulfillment_workflow_id(client, isv, user_id)
    off = await client.put(
        f"{BASE}/workflows/deactivate",
        json={"userId": user_id, "workflowId": workflow_id},
        headers=isv.headers,
    )
    assert off.status_code == 200, off.text

    sent = await send_event(client, isv, user_id, order_event())

    assert sent.status_code == 200 and sent.json()["executionIds"] == []


async def test_a_user_without_the_integration_gets_no_executions(
    client: AsyncTestClient, isv: IsvFixture
) -> None:
    created = await client.post(f"{BASE}/users", json={"username": "nia"}, headers=isv.headers)
    sent = await send_event(client, isv, created.json()["userId"], order_event())
    assert sent.status_code == 200 and sent.json() == {"success": True, "executionIds": []}

"""BigCommerce's actions against the real local fake store, over a real httpx client."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from install_service.catalog.app_actions import AppCallError
from tests.support.app_calls import STORE_HASH, TOKEN, run
from tests.support.fake_bigcommerce import (
    INVALID_STATUS,
    NOT_FOUND,
    WRONG_TOKEN,
    FakeBigCommerce,
)


@pytest.mark.parametrize(
    ("status", "status_id"),
    [
        ("Shipped", 2),
        ("  awaiting PAYMENT ", 7),
        ("Manual Verification Required", 12),
        ("Canceled", 5),
        ("cancelled", 5),
        (10, 10),
        ("14", 14),
        (1.0, 1),
    ],
    ids=["name", "any-case", "long-name", "us-spelling", "lower", "id", "id-digits", "id-float"],
)
async def test_update_order_status_changes_the_order(
    store: FakeBigCommerce, http: httpx.AsyncClient, status: object, status_id: int
) -> None:
    answer = await run(
        http, store.api_base, "update order status", {"orderId": 101, "status": status}
    )
    assert store.order(STORE_HASH, 101)["status_id"] == status_id
    assert answer == store.order(STORE_HASH, 101)  # BigCommerce's answer: the whole order
    [call] = store.orders_calls()
    assert (call.method, call.path) == ("PUT", f"/stores/{STORE_HASH}/v2/orders/101")
    assert json.loads(call.body) == {"status_id": status_id}
    assert call.headers["x-auth-token"] == TOKEN
    assert call.headers["accept"] == call.headers["content-type"] == "application/json"


async def test_get_order_answers_the_order(store: FakeBigCommerce, http: httpx.AsyncClient) -> None:
    answer = await run(http, store.api_base, "get order", {"orderId": "101"})
    assert answer == {
        "id": 101,
        "status_id": 11,
        "status": "Awaiting Fulfillment",
        "total_inc_tax": "42.00",
    }
    assert store.wait_for_orders_call(1).method == "GET"


@pytest.mark.parametrize("status", ["Lost in the post", "", None, 0, 15, True, {"id": 2}])
async def test_an_unknown_status_names_the_accepted_ones_and_sends_nothing(
    store: FakeBigCommerce, http: httpx.AsyncClient, status: object
) -> None:
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, "update order status", {"orderId": 101, "status": status})
    error = caught.value
    assert not error.transient and error.status_code is None
    assert "Awaiting Fulfillment (11)" in error.message and "Pending (1)" in error.message
    assert store.orders_calls() == []
    assert store.order(STORE_HASH, 101)["status_id"] == 11


@pytest.mark.parametrize("order_id", [None, "", "abc", "1/2", "../store", 0, -3, 1.5, True])
async def test_an_invalid_order_id_sends_nothing(
    store: FakeBigCommerce, http: httpx.AsyncClient, order_id: object
) -> None:
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, "get order", {"orderId": order_id})
    assert not caught.value.transient and "orderId" in caught.value.message
    assert store.orders_calls() == []


async def test_a_wrong_token_is_not_transient(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, "get order", {"orderId": 101}, token="tok-WrongToken42")
    error = caught.value
    assert (error.transient, error.status_code) == (False, 401)
    assert WRONG_TOKEN.rstrip(".") in error.message and "tok-WrongToken42" not in error.message


async def test_an_unknown_order_is_not_transient(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, "update order status", {"orderId": 999, "status": 2})
    error = caught.value
    assert (error.transient, error.status_code) == (False, 404)
    assert error.message == f"BigCommerce said: 404 Not Found – {NOT_FOUND}"


async def test_a_refused_update_carries_bigcommerce_message(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    store.error_next(400, INVALID_STATUS)
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, "update order status", {"orderId": 101, "status": 2})
    error = caught.value
    assert (error.transient, error.status_code) == (False, 400)
    assert INVALID_STATUS in error.message and TOKEN not in repr(error)
    assert store.order(STORE_HASH, 101)["status_id"] == 11


async def test_the_fake_refuses_an_invalid_status_id(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    """Keeps the fake honest: what the action never sends, the fake still refuses."""
    response = await http.put(
        f"{store.api_base}/stores/{STORE_HASH}/v2/orders/101",
        json={"status_id": 99},
        headers={"X-Auth-Token": TOKEN},
    )
    assert response.status_code == 400
    assert response.json() == [{"status": 400, "message": INVALID_STATUS}]


async def test_a_hanging_call_changes_the_store_and_answers_once_released(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    release = store.hang_next()
    put = http.put(
        f"{store.api_base}/stores/{STORE_HASH}/v2/orders/101",
        json={"status_id": 10},
        headers={"X-Auth-Token": TOKEN},
    )
    task = asyncio.create_task(put)
    await asyncio.to_thread(store.wait_for_orders_call, 1)
    assert store.order(STORE_HASH, 101)["status"] == "Completed" and not task.done()
    release.set()
    assert (await task).json()["status_id"] == 10

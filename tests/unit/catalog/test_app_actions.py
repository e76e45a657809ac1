"""The runtime's interface to app actions: lookup, errors, Retry-After, the rate limiter."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest

from install_service.catalog import app_actions
from install_service.catalog.app_actions import (
    ActionCall,
    AppCallError,
    actions_for,
    app_action_names,
    retry_after_s,
)
from install_service.catalog.app_definitions import load_apps
from install_service.catalog.apps import bigcommerce as bigcommerce_module
from tests.support.app_calls import STORE_HASH, TOKEN, run
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.receiver import Receiver, Reply


def test_app_call_error_survives_pickling() -> None:
    error = AppCallError("BigCommerce said: 429", True, 1.5, 429)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.transient, copy.retry_after_s, copy.status_code) == (
        "BigCommerce said: 429",
        True,
        1.5,
        429,
    )
    assert str(copy) == "BigCommerce said: 429" and type(copy) is AppCallError


def test_action_names_by_convention() -> None:
    names = app_action_names()
    assert names["bigcommerce"] == {"update order status", "get order"}
    assert names["shopify"] == frozenset()  # a definition without a module has no actions
    assert actions_for("no-such-app") == {}


def test_an_action_call_never_shows_the_credential() -> None:
    call = ActionCall(
        inputs={"orderId": 1},
        credential={"storeHash": STORE_HASH, "accessToken": TOKEN},
        api_base="https://api.example",
        client=httpx.AsyncClient(),
    )
    assert TOKEN not in repr(call)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Rate-Limit-Time-Reset-Ms": "1500"}, 1.5),
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "Fri, 04 Dec 2026 00:00:30 GMT"}, 30.0),
        ({"Retry-After": "99999999"}, app_actions.MAX_RETRY_AFTER_S),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
    ids=["reset-ms", "seconds", "http-date", "capped", "garbage", "none"],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    now = datetime(2026, 12, 4, tzinfo=UTC)
    assert retry_after_s(headers, now) == expected


async def test_unknown_action_names_the_known_ones(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, "delete order", {"orderId": 101})
    assert not caught.value.transient
    assert "get order" in caught.value.message and "update order status" in caught.value.message
    assert store.orders_calls() == []


async def test_action_names_are_case_insensitive(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    order = await run(http, store.api_base, "  Get Order ", {"orderId": "101"})
    assert order["id"] == 101


async def test_rate_limited_answer_is_transient_with_the_reset_time(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    store.rate_limit_next(reset_ms=2500)
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, "get order", {"orderId": 101})
    error = caught.value
    assert (error.transient, error.retry_after_s, error.status_code) == (True, 2.5, 429)


async def test_unavailable_is_transient(store: FakeBigCommerce, http: httpx.AsyncClient) -> None:
    store.unavailable_next()
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, "get order", {"orderId": 101})
    assert caught.value.transient and caught.value.status_code == 503
    assert "503" in caught.value.message


async def test_connection_refused_is_transient(http: httpx.AsyncClient) -> None:
    closed = Receiver().start()
    closed.stop()
    with pytest.raises(AppCallError) as caught:
        await run(http, f"http://127.0.0.1:{closed.port}", "get order", {"orderId": 101})
    assert caught.value.transient and caught.value.status_code is None
    assert "connection refused" in caught.value.message


async def test_no_answer_in_time_is_transient(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    release = store.hang_next()
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, "get order", {"orderId": 101}, timeout_s=0.3)
    release.set()
    assert caught.value.transient
    assert caught.value.message == "BigCommerce did not answer within 0.3 s"


async def test_an_answer_that_is_not_json_is_not_transient(http: httpx.AsyncClient) -> None:
    server = Receiver()
    server.default = Reply(200, b"<html>maintenance</html>", {"content-type": "text/html"})
    server.start()
    try:
        with pytest.raises(AppCallError) as caught:
            await run(http, f"http://127.0.0.1:{server.port}", "get order", {"orderId": 101})
    finally:
        server.stop()
    assert not caught.value.transient
    assert caught.value.message == "BigCommerce answered with something that is not JSON"


async def test_an_echoed_token_is_redacted(store: FakeBigCommerce, http: httpx.AsyncClient) -> None:
    store.error_next(401, f"Token {TOKEN} is not valid for this store")
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, "get order", {"orderId": 101})
    error = caught.value
    assert TOKEN not in error.message and TOKEN not in repr(error) and TOKEN not in str(error)
    assert "Token ••• is not valid" in error.message
    assert error.__cause__ is None and error.__suppress_context__


def test_a_fractional_window_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bigcommerce_module, "RATE_LIMIT", (3, 0.5))
    with pytest.raises(app_actions.ConnectorDefinitionError):
        app_actions.rate_limit_for("bigcommerce")


async def test_without_an_override_the_definition_api_base_is_used(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    app = replace(load_apps()["bigcommerce"], api_base=store.api_base + "/")
    order = await app_actions.call_action(
        app,
        "get order",
        {"orderId": 101},
        {"storeHash": STORE_HASH, "accessToken": TOKEN},
        api_base_override=None,
        client=http,
    )
    assert order["id"] == 101
    assert store.wait_for_orders_call(1).path == f"/stores/{STORE_HASH}/v2/orders/101"

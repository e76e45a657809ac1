"""App triggers: lookup by convention, BigCommerce's webhooks against the real local fake
store (over a real httpx client), its callbacks, and the appTrigger check of the grammar."""

from __future__ import annotations

import json
import pickle
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from install_service.catalog.app_actions import AppCallError
from install_service.catalog.app_definitions import ConnectorDefinitionError, load_apps
from install_service.catalog.app_triggers import (
    CallbackRejected,
    Hook,
    HookCall,
    app_trigger_names,
    call_hook_operation,
    trigger_app,
    triggers_for,
)
from install_service.catalog.apps import bigcommerce
from install_service.grammar.block_specs import check_blocks
from tests.support.app_calls import STORE_HASH, TOKEN
from tests.support.fake_bigcommerce import HOOK_NOT_FOUND, FakeBigCommerce
from tests.support.receiver import Receiver, Reply

SECRET = "whsec-Th1sIsTheHookSecret"
DESTINATION = "https://install.example.com/app-triggers/bigcommerce/cb-1"
CREATED = "store/order/created"
BC = trigger_app("bigcommerce")


async def run(
    http: httpx.AsyncClient,
    api_base: str,
    operation: Callable[[HookCall], Awaitable[Any]],
    *,
    token: str = TOKEN,
) -> Any:
    """``call_hook_operation`` for BigCommerce with the test credential; SECRET redacted."""
    return await call_hook_operation(
        load_apps()["bigcommerce"],
        {"storeHash": STORE_HASH, "accessToken": token},
        operation,
        api_base_override=api_base,
        client=http,
        timeout_s=5.0,
        secrets=[SECRET],
    )


def create(destination: str = DESTINATION, scope: str = CREATED):
    return lambda call: BC.create_hook(call, scope, destination, SECRET)


@pytest.fixture
def fresh_trigger_cache() -> Iterator[None]:
    trigger_app.cache_clear()
    yield
    trigger_app.cache_clear()


def test_trigger_names_by_convention() -> None:
    assert app_trigger_names()["bigcommerce"] == {
        "order created",
        "order updated",
        "order status updated",
    }
    assert triggers_for("shopify") == {}  # a definition without a module has no triggers
    assert triggers_for("no-such-app") == {}
    assert trigger_app("shopify") is None
    assert BC is not None and BC.secret_header == bigcommerce.SECRET_HEADER
    assert BC.scope_for(" Order Status UPDATED ") == "store/order/statusUpdated"
    assert BC.scope_for("order deleted") is None


@pytest.mark.usefixtures("fresh_trigger_cache")
def test_malformed_triggers_are_a_definition_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bigcommerce, "TRIGGERS", {"Order Created": CREATED})
    with pytest.raises(ConnectorDefinitionError, match="lower-case event names"):
        triggers_for("bigcommerce")
    trigger_app.cache_clear()
    monkeypatch.setattr(bigcommerce, "TRIGGERS", {"order created": CREATED})
    monkeypatch.delattr(bigcommerce, "list_hooks")
    with pytest.raises(ConnectorDefinitionError, match="must define list_hooks"):
        trigger_app("bigcommerce")


def test_a_hook_call_never_shows_the_credential() -> None:
    call = HookCall(
        credential={"storeHash": STORE_HASH, "accessToken": TOKEN},
        api_base="https://api.example",
        client=httpx.AsyncClient(),
    )
    assert TOKEN not in repr(call)
    rejected = pickle.loads(pickle.dumps(CallbackRejected("no hash")))
    assert (type(rejected), rejected.message, str(rejected)) == (
        CallbackRejected,
        "no hash",
        "no hash",
    )


async def test_create_list_deactivate_delete(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    hook = await run(http, store.api_base, create())
    assert hook == Hook(id="1", scope=CREATED, destination=DESTINATION, is_active=True)
    [call] = store.hooks_calls()
    assert (call.method, call.path) == ("POST", f"/stores/{STORE_HASH}/v3/hooks")
    assert call.headers["x-auth-token"] == TOKEN
    assert json.loads(call.body) == {
        "scope": CREATED,
        "destination": DESTINATION,
        "is_active": True,
        "headers": {"X-Hook-Secret": SECRET},
    }
    [held] = store.hooks(STORE_HASH)
    assert held["headers"] == {"X-Hook-Secret": SECRET} and held["is_active"] is True

    assert await run(http, store.api_base, BC.list_hooks) == [hook]
    off = await run(http, store.api_base, lambda c: BC.set_hook_active(c, hook.id, False))
    assert off == Hook("1", CREATED, DESTINATION, is_active=False)
    assert store.hooks(STORE_HASH)[0]["is_active"] is False
    on = await run(http, store.api_base, lambda c: BC.set_hook_active(c, hook.id, True))
    assert on.is_active and store.hooks(STORE_HASH)[0]["is_active"] is True

    assert await run(http, store.api_base, lambda c: BC.delete_hook(c, hook.id)) is None
    assert store.hooks(STORE_HASH) == []
    assert await run(http, store.api_base, BC.list_hooks) == []


async def test_a_hook_bigcommerce_turned_off_lists_as_inactive(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    hook = await run(http, store.api_base, create())
    store.deactivate_hook(STORE_HASH, hook.id)
    assert await run(http, store.api_base, BC.list_hooks) == [
        Hook(hook.id, CREATED, DESTINATION, is_active=False)
    ]


async def test_listing_follows_every_page(
    store: FakeBigCommerce, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bigcommerce, "HOOKS_PAGE_LIMIT", 2)
    for n in range(5):
        await run(http, store.api_base, create(f"{DESTINATION}-{n}"))
    hooks = await run(http, store.api_base, BC.list_hooks)
    assert [h.destination for h in hooks] == [f"{DESTINATION}-{n}" for n in range(5)]
    pages = [r.path for r in store.hooks_calls() if r.method == "GET"]
    assert pages == [f"/stores/{STORE_HASH}/v3/hooks?page={p}&limit=2" for p in (1, 2, 3)]


async def test_deleting_a_hook_already_gone_is_success(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    hook = await run(http, store.api_base, create())
    await run(http, store.api_base, lambda c: BC.delete_hook(c, hook.id))
    assert await run(http, store.api_base, lambda c: BC.delete_hook(c, hook.id)) is None
    assert await run(http, store.api_base, lambda c: BC.delete_hook(c, "999")) is None
    assert [r.method for r in store.hooks_calls()] == ["POST", "DELETE", "DELETE", "DELETE"]


async def test_changing_an_unknown_hook_is_the_apps_404(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, lambda c: BC.set_hook_active(c, "999", True))
    assert (caught.value.transient, caught.value.status_code) == (False, 404)
    assert HOOK_NOT_FOUND in caught.value.message


@pytest.mark.parametrize(
    ("status", "headers", "retry_after_s"),
    [(500, None, None), (503, None, None), (429, {"X-Rate-Limit-Time-Reset-Ms": "1500"}, 1.5)],
    ids=["500", "503", "429"],
)
async def test_a_failing_app_is_transient(
    store: FakeBigCommerce,
    http: httpx.AsyncClient,
    status: int,
    headers: dict[str, str] | None,
    retry_after_s: float | None,
) -> None:
    store.hooks_error_next(status, "Try again later", headers=headers)
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, create())
    error = caught.value
    assert (error.transient, error.status_code, error.retry_after_s) == (
        True,
        status,
        retry_after_s,
    )
    assert store.hooks(STORE_HASH) == []
    assert (await run(http, store.api_base, create())).id == "1"  # the next call goes through


async def test_a_wrong_token_is_not_transient_and_never_shown(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    wrong = "tok-WrongButStillSecret42"
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, BC.list_hooks, token=wrong)
    assert (caught.value.transient, caught.value.status_code) == (False, 401)
    assert caught.value.message.startswith("BigCommerce said: 401")
    assert wrong not in caught.value.message and wrong not in repr(caught.value)


async def test_secrets_echoed_by_the_app_are_redacted(
    store: FakeBigCommerce, http: httpx.AsyncClient
) -> None:
    store.hooks_error_next(422, f"headers {SECRET} rejected for token {TOKEN}")
    with pytest.raises(AppCallError) as caught:
        await run(http, store.api_base, create())
    message = caught.value.message
    assert SECRET not in message and TOKEN not in message and "•••" in message
    assert not caught.value.transient


async def test_an_unreachable_or_odd_app(http: httpx.AsyncClient) -> None:
    odd = Receiver().start()
    odd.default = Reply(200, b"<html>maintenance</html>", {"content-type": "text/html"})
    try:
        with pytest.raises(AppCallError, match="not JSON") as caught:
            await run(http, f"http://127.0.0.1:{odd.port}", BC.list_hooks)
        assert not caught.value.transient
    finally:
        odd.stop()
    with pytest.raises(AppCallError, match="Could not reach BigCommerce") as caught:
        await run(http, f"http://127.0.0.1:{odd.port}", BC.list_hooks)
    assert caught.value.transient


async def test_a_callback_arrives_with_the_secret_and_leads_to_the_order(
    store: FakeBigCommerce, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    hook = await run(http, store.api_base, create(receiver.url))
    assert store.send_callback(STORE_HASH, hook.id, 101).status_code == 200
    [delivery] = receiver.requests
    assert delivery.headers["x-hook-secret"] == SECRET
    callback = BC.parse_callback(delivery.body)
    assert (callback.scope, callback.resource_id) == (CREATED, "101")
    assert callback.dedupe_key == callback.payload["hash"] and len(callback.dedupe_key) >= 20
    assert callback.payload["producer"] == f"stores/{STORE_HASH}"
    order = await run(http, store.api_base, lambda c: BC.fetch_trigger_data(c, callback))
    assert order == store.order(STORE_HASH, 101)

    store.send_callback(STORE_HASH, hook.id, 101, hash="same", headers_override={})
    redelivery = receiver.requests[1]
    assert "x-hook-secret" not in redelivery.headers
    assert BC.parse_callback(redelivery.body).dedupe_key == "same"


VALID = {
    "scope": "store/order/statusUpdated",
    "store_id": "1001005",
    "data": {"type": "order", "id": 250, "status": {"previous_status_id": 0, "new_status_id": 11}},
    "hash": "dd70c0976e06b67aaf671e73f49dcb79230ebf9d",
    "created_at": 1561479335,
    "producer": "stores/abc123",
}


@pytest.mark.parametrize("store_id", ["1001005", 1001005])
def test_parse_callback_accepts_bigcommerces_shape(store_id: object) -> None:
    body = json.dumps({**VALID, "store_id": store_id}).encode()
    callback = BC.parse_callback(body)
    assert callback.scope == "store/order/statusUpdated"
    assert callback.resource_id == "250"
    assert callback.dedupe_key == VALID["hash"]
    assert callback.payload == json.loads(body)


def _without(key: str) -> bytes:
    return json.dumps({k: v for k, v in VALID.items() if k != key}).encode()


def _with(**changes: Any) -> bytes:
    return json.dumps({**VALID, **changes}).encode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"store/order/created", "not JSON"),
        (b"\xff\xfe{", "not JSON"),
        (b"", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (_without("scope"), "scope"),
        (_with(scope=""), "scope"),
        (_with(store_id=True), "store_id"),
        (_without("data"), "data"),
        (_with(data=[250]), "data"),
        (_with(data={"type": "product", "id": 250}), "data.type"),
        (_with(data={"type": "order", "id": "250"}), "data.id"),
        (_with(data={"type": "order", "id": 0}), "data.id"),
        (_with(data={"type": "order"}), "data.id"),
        (_without("hash"), "hash"),
        (_with(hash=42), "hash"),
        (_with(created_at="2019-06-25"), "created_at"),
        (_without("producer"), "producer"),
        (_with(producer="shops/abc123"), "producer"),
    ],
)
def test_parse_callback_refuses_what_is_not_bigcommerces_shape(body: bytes, expected: str) -> None:
    with pytest.raises(CallbackRejected) as caught:
        BC.parse_callback(body)
    assert expected in caught.value.message


TRIGGER = {"id": "t", "type": "appTrigger", "name": "T", "app": "bigcommerce"}


@pytest.mark.parametrize("event", ["order created", "order updated", "order status updated"])
def test_check_blocks_accepts_bigcommerces_triggers(event: str) -> None:
    blocks = [{**TRIGGER, "event": event}]
    assert check_blocks(blocks, app_actions={}, app_triggers=app_trigger_names()) == []


def test_check_blocks_refuses_an_unknown_trigger_event() -> None:
    names = app_trigger_names()
    assert check_blocks(
        [{**TRIGGER, "event": "order deleted"}], app_actions={}, app_triggers=names
    ) == [
        'block "t": unknown event "order deleted" for bigcommerce'
        " (known: order created, order status updated, order updated)"
    ]
    assert check_blocks(
        [{**TRIGGER, "app": "shopify", "event": "order created"}],
        app_actions={},
        app_triggers=names,
    ) == ['block "t": app shopify has no triggers']
    # Without the names (older callers), any event passes the grammar.
    assert check_blocks([{**TRIGGER, "event": "order deleted"}], app_actions={}) == []

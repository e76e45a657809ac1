"""The demo's app trigger: the BigCommerce sandbox's Webhooks API (what an install registers
there), /demo/store's "Create order" (which sends BigCommerce's callback to each hook), the
demo catalogue's Stream Data pointed at the inbox, and the inbox showing a streamed order.

The sandbox's callbacks go to a local receiver here (the in-process test client is not
reachable over HTTP); the e2e test ``e2e/test_demo_triggers.py`` runs the whole loop.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from install_service.app import create_app
from install_service.catalog.app_triggers import HookCall
from install_service.catalog.apps import bigcommerce
from install_service.catalog.loader import parse_catalog
from install_service.db.config import sqlalchemy_config
from install_service.demo.services import (
    DEMO_CATALOG,
    INBOX_PATH,
    SANDBOX_PATH,
    SANDBOX_TOKEN,
    demo_isv,
    demo_settings,
    inbox_catalog,
    seed_demo,
)
from install_service.security.keys import load_keys
from install_service.settings import Settings
from install_service.webhooks.signing import alloy_signature, standard_webhook_headers
from tests.support.html import by_id, visible_text
from tests.support.receiver import Receiver, Reply

HOOKS = f"{SANDBOX_PATH}/stores/demo/v3/hooks"
ORDER_CREATED = "store/order/created"
SANDBOX = {"X-Auth-Token": SANDBOX_TOKEN}
HTMX = {"HX-Request": "true"}


@pytest.fixture
async def demo(modal_settings: Settings) -> AsyncIterator[AsyncTestClient]:
    """The demo app, AcmeCo seeded as ``install-service demo`` seeds it."""
    settings = demo_settings(modal_settings)
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            await seed_demo(session, settings)
    finally:
        await config.get_engine().dispose()
    async with AsyncTestClient(app=create_app(settings), base_url=settings.public_url) as client:
        yield client


@pytest.fixture
def store_receiver() -> Iterator[Receiver]:
    """Where the test's hooks point: plays install-service's callback endpoint."""
    server = Receiver().start()
    yield server
    server.stop()


async def create_hook(client: AsyncTestClient, destination: str, **fields) -> dict:
    body = {"scope": ORDER_CREATED, "destination": destination, "is_active": True} | fields
    answer = await client.post(HOOKS, json=body, headers=SANDBOX)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


# ---- the sandbox's Webhooks API v3 --------------------------------------------------------


async def test_sandbox_hooks_are_created_read_changed_and_deleted_like_bigcommerce_v3(
    demo: AsyncTestClient,
) -> None:
    hook = await create_hook(
        demo, "https://acme.example/cb", headers={"X-Hook-Secret": "s3cr3t"}, is_active=True
    )
    assert hook["id"] == 1 and hook["store_hash"] == "demo" and hook["is_active"] is True
    assert hook["headers"] == {"X-Hook-Secret": "s3cr3t"}
    assert isinstance(hook["created_at"], int)

    read = await demo.get(f"{HOOKS}/1", headers=SANDBOX)
    off = await demo.put(f"{HOOKS}/1", json={"is_active": False}, headers=SANDBOX)
    listed = await demo.get(HOOKS, headers=SANDBOX)

    assert read.json() == {"data": hook, "meta": {}}
    assert off.status_code == 200 and off.json()["data"]["is_active"] is False
    assert [h["id"] for h in listed.json()["data"]] == [1]
    assert listed.json()["meta"]["pagination"]["total"] == 1

    deleted = await demo.delete(f"{HOOKS}/1", headers=SANDBOX)
    assert deleted.status_code == 200 and deleted.json()["data"]["id"] == 1
    assert (await demo.get(f"{HOOKS}/1", headers=SANDBOX)).status_code == 404
    assert (await demo.get(HOOKS, headers=SANDBOX)).json()["data"] == []


async def test_sandbox_hooks_belong_to_their_store_hash_and_list_by_pages(
    demo: AsyncTestClient,
) -> None:
    for n in range(3):
        await create_hook(demo, f"https://acme.example/cb/{n}")
    other = await demo.post(
        f"{SANDBOX_PATH}/stores/other/v3/hooks",
        json={"scope": ORDER_CREATED, "destination": "https://acme.example/other"},
        headers=SANDBOX,
    )

    first = (await demo.get(f"{HOOKS}?page=1&limit=2", headers=SANDBOX)).json()
    second = (await demo.get(f"{HOOKS}?page=2&limit=2", headers=SANDBOX)).json()

    assert [h["id"] for h in first["data"]] == [1, 2]
    assert [h["id"] for h in second["data"]] == [3]
    assert first["meta"]["pagination"] | {"links": None} == {
        "total": 3,
        "count": 2,
        "per_page": 2,
        "current_page": 1,
        "total_pages": 2,
        "links": None,
    }
    assert "next" in first["meta"]["pagination"]["links"]
    assert "next" not in second["meta"]["pagination"]["links"]
    other_id = other.json()["data"]["id"]
    assert other_id == 4  # ids count across store hashes
    assert (await demo.get(f"{HOOKS}/{other_id}", headers=SANDBOX)).status_code == 404


@pytest.mark.parametrize("headers", [{}, {"X-Auth-Token": "wrong"}])
async def test_sandbox_hooks_refuse_a_wrong_token_with_a_v3_error(
    demo: AsyncTestClient,
    headers: dict[str, str],
) -> None:
    await create_hook(demo, "https://acme.example/cb")
    body = {"scope": ORDER_CREATED, "destination": "https://acme.example/x"}

    answers = [
        await demo.get(HOOKS, headers=headers),
        await demo.post(HOOKS, json=body, headers=headers),
        await demo.put(f"{HOOKS}/1", json={"is_active": False}, headers=headers),
        await demo.delete(f"{HOOKS}/1", headers=headers),
    ]

    for answer in answers:
        assert answer.status_code == 401
        assert answer.json()["status"] == 401 and SANDBOX_TOKEN in answer.json()["title"]
    assert [h["is_active"] for h in (await demo.get(HOOKS, headers=SANDBOX)).json()["data"]] == [
        True
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"destination": "https://acme.example/cb"},
        {"scope": ORDER_CREATED},
        {"scope": "order created", "destination": "https://acme.example/cb"},
        {"scope": ORDER_CREATED, "destination": "ftp://acme.example/cb"},
        {"scope": ORDER_CREATED, "destination": "https://acme.example/cb", "is_active": "yes"},
        {"scope": ORDER_CREATED, "destination": "https://acme.example/cb", "headers": {"a": 1}},
    ],
)
async def test_sandbox_refuses_an_invalid_hook_with_422(
    demo: AsyncTestClient,
    body: object,
) -> None:
    answer = await demo.post(HOOKS, json=body, headers=SANDBOX)

    assert answer.status_code == 422
    assert answer.json()["status"] == 422 and answer.json()["title"]
    assert (await demo.get(HOOKS, headers=SANDBOX)).json()["data"] == []


async def test_the_bigcommerce_connector_manages_its_hooks_in_the_sandbox(
    demo: AsyncTestClient,
    modal_settings: Settings,
) -> None:
    """What the install's sync does (create, list, turn off, delete), with the connector's
    own calls against the sandbox: the shapes agree."""
    call = HookCall(
        credential={"storeHash": "demo", "accessToken": SANDBOX_TOKEN},
        api_base=modal_settings.public_url + SANDBOX_PATH,
        client=demo,
    )

    made = await bigcommerce.create_hook(call, ORDER_CREATED, "https://svc.example/t/1", "s")
    listed = await bigcommerce.list_hooks(call)
    off = await bigcommerce.set_hook_active(call, made.id, False)
    await bigcommerce.delete_hook(call, made.id)
    await bigcommerce.delete_hook(call, made.id)  # already gone: still success

    assert made.scope == ORDER_CREATED and made.is_active
    assert listed == [made]
    assert off.is_active is False
    assert await bigcommerce.list_hooks(call) == []


# ---- /demo/store: Create order ------------------------------------------------------------


async def test_create_order_sends_bigcommerces_callback_to_each_active_order_hook(
    demo: AsyncTestClient,
    store_receiver: Receiver,
) -> None:
    hook = await create_hook(demo, store_receiver.url, headers={"X-Hook-Secret": "s3cr3t"})
    await create_hook(demo, store_receiver.url + "/off", is_active=False)
    await create_hook(demo, store_receiver.url + "/other", scope="store/order/statusUpdated")

    answer = await demo.post("/demo/store/orders", headers=HTMX)

    assert answer.status_code == 200
    assert "Order #104 created · sent to 1 webhook." in visible_text(answer.text)
    assert "answered 200" in visible_text(answer.text)
    [sent] = store_receiver.requests
    assert sent.method == "POST" and sent.path == "/hook"
    assert sent.headers["x-hook-secret"] == "s3cr3t"
    payload = json.loads(sent.body)
    assert payload["scope"] == ORDER_CREATED and payload["producer"] == "stores/demo"
    assert payload["data"] == {"type": "order", "id": 104}
    callback = bigcommerce.parse_callback(sent.body)  # what install-service accepts
    assert callback.resource_id == "104" and callback.dedupe_key == payload["hash"]
    # the order is in the store, and the answer carries the table's new rows too
    order = await demo.get(f"{SANDBOX_PATH}/stores/demo/v2/orders/104", headers=SANDBOX)
    assert order.json()["status"] == "Awaiting Fulfillment"
    rows = by_id(answer.text, "orders")
    assert rows.attrs["hx-swap-oob"] == "true" and "#104" in rows.text
    assert hook["id"] == 1

    await demo.post("/demo/store/orders", headers=HTMX)
    [_, again] = store_receiver.requests
    assert json.loads(again.body)["data"]["id"] == 105
    assert json.loads(again.body)["hash"] != payload["hash"]  # a new event, a new hash


async def test_create_order_without_a_hook_says_to_install_first(
    demo: AsyncTestClient,
) -> None:
    answer = await demo.post("/demo/store/orders", headers=HTMX)
    page = await demo.post("/demo/store/orders")  # without JavaScript: the whole page

    assert "Order #104 created · no webhook registered: install BigCommerce" in visible_text(
        answer.text
    )
    assert page.status_code == 200 and "<html" in page.text
    assert "Order #105 created" in visible_text(by_id(page.text, "order-result").text)
    assert "#105" in visible_text(by_id(page.text, "orders").text)


async def test_create_order_shows_a_destination_that_fails(
    demo: AsyncTestClient,
    store_receiver: Receiver,
) -> None:
    store_receiver.default = Reply(403, b'{"code":"hook_secret_invalid"}')
    await create_hook(demo, store_receiver.url)

    answer = await demo.post("/demo/store/orders", headers=HTMX)

    text = visible_text(answer.text)
    assert "sent to 1 webhook (1 failed)" in text and "answered 403" in text


async def test_store_page_lists_the_registered_hooks(demo: AsyncTestClient) -> None:
    empty = await demo.get("/demo/store/hooks")
    await create_hook(demo, "https://svc.example/triggers/bigcommerce/abc")

    page = await demo.get("/demo/store")

    assert "No webhook registered yet." in visible_text(empty.text)
    hooks = by_id(page.text, "hooks")
    assert hooks.attrs["hx-get"] == "/demo/store/hooks"
    assert "#1 active store/order/created → https://svc.example/triggers/bigcommerce/abc" in (
        visible_text(page.text)
    )


# ---- Stream Data → the inbox --------------------------------------------------------------


def test_the_demo_catalogue_streams_to_the_inbox_and_the_example_is_unchanged() -> None:
    example = parse_catalog(DEMO_CATALOG.read_text(), str(DEMO_CATALOG))

    demo_copy = inbox_catalog(example, "http://127.0.0.1:8000" + INBOX_PATH)

    def urls(catalog) -> list[str]:
        return [
            block["config"]["url"]
            for integration in catalog.integrations
            for workflow in integration.workflows
            for version in workflow.definitions()
            for block in version.blocks
            if block["type"] == "streamData"
        ]

    assert urls(demo_copy) == ["http://127.0.0.1:8000/demo/webhooks"]
    assert urls(example) == ["https://acme.example.com/hooks/bigcommerce/orders"]


@pytest.fixture
async def isv_secret(modal_settings: Settings, demo: AsyncTestClient) -> str:
    """The demo ISV's webhook secret. Read in a session closed at once: a transaction left
    open would hold back DBOS's first launch on PostgreSQL (its migrations build indexes
    CONCURRENTLY, which waits for every open transaction)."""
    config = sqlalchemy_config(modal_settings.database_url)
    try:
        async with config.get_session() as session:
            return (await demo_isv(session)).webhook_secret
    finally:
        await config.get_engine().dispose()


async def test_the_inbox_shows_a_streamed_order_with_both_signatures_verified(
    demo: AsyncTestClient,
    modal_settings: Settings,
    isv_secret: str,
) -> None:
    """Signed as Stream Data signs (``runtime.stream_data``); checked as a receiver would."""
    url = modal_settings.public_url + INBOX_PATH
    body = json.dumps(
        {
            "workflowId": "wf-1",
            "executionId": "ex-1",
            "userId": "u-1",
            "data": {"id": 104, "status": "Awaiting Fulfillment"},
            "blocks": {},
        }
    ).encode()
    headers = standard_webhook_headers("msg_1", datetime.now(UTC), body, [isv_secret])
    headers["x-alloy-signature"] = alloy_signature(
        load_keys(modal_settings).webhook_private_key, "POST", url, body
    )
    Webhook(isv_secret).verify(body, headers)  # the test signs it right

    received = await demo.post(
        INBOX_PATH, content=body, headers={**headers, "content-type": "application/json"}
    )
    tampered = await demo.post(
        INBOX_PATH, content=body.replace(b"104", b"105"), headers={**headers}
    )
    unchanged = await demo.get(f"{INBOX_PATH}?seen=2", headers=HTMX)
    fragment = await demo.get(f"{INBOX_PATH}?seen=1", headers=HTMX)

    assert received.json() == {"received": True, "verified": True}
    assert tampered.json() == {"received": True, "verified": False}
    assert unchanged.status_code == 204  # the list polls: nothing new, nothing swapped
    assert fragment.status_code == 200 and "<html" not in fragment.text
    inbox = by_id(fragment.text, "inbox")
    assert inbox.attrs["hx-get"] == f"{INBOX_PATH}?seen=2"
    text = visible_text(fragment.text)
    assert "Order #104 streamed · Awaiting Fulfillment" in text
    assert "Order #105 streamed" in text
    assert "Workflow wf-1" in text and "Execution ex-1" in text
    assert text.count("Standard Webhooks signature: valid") == 1
    assert text.count("X-Alloy-Signature: valid") == 1
    assert text.count("INVALID") == 2  # the tampered one fails both

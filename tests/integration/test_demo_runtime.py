"""The demo with the workflow runtime: the BigCommerce sandbox keeps orders, /demo/store shows
them, and /demo's "Send Fulfillment Updated" form plays AcmeCo's backend and shows the runs.

The app runs with the demo's settings; the workflow's BigCommerce calls go to the test's
fake BigCommerce (an explicit API base wins over the sandbox, as in ``demo_settings``), since
the in-process test client is not reachable over HTTP. The e2e demo test covers the sandbox
as the workflow's real target.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from install_service.app import create_app
from install_service.db.config import sqlalchemy_config
from install_service.demo.sandbox import SandboxStore
from install_service.demo.services import SANDBOX_PATH, SANDBOX_TOKEN, demo_settings, seed_demo
from install_service.settings import Settings
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.html import by_id, visible_text
from tests.support.installs import STORE_HASH, eventually, finish_install

ORDERS = f"{SANDBOX_PATH}/stores/demo/v2/orders"
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


async def install(client: AsyncTestClient) -> None:
    """The demo user installs BigCommerce through the modal, as /demo's Install button does."""
    page = (await client.get("/demo/")).text
    token = re.search(r'data-token="([^"]+)"', page)[1]
    integration_id = re.search(r'data-integration-id="([^"]+)"', page)[1]
    done = await finish_install(client, integration_id, token)
    assert done.status_code == 200, done.text


# ---- the sandbox's Orders API ---------------------------------------------------------


async def test_sandbox_orders_answer_and_change_like_bigcommerce_v2(
    demo: AsyncTestClient,
) -> None:
    seeded = await demo.get(f"{ORDERS}/101", headers=SANDBOX)
    assert seeded.status_code == 200
    assert seeded.json()["id"] == 101 and seeded.json()["status_id"] == 11
    assert seeded.json()["status"] == "Awaiting Fulfillment"

    shipped = await demo.put(f"{ORDERS}/101", json={"status_id": 2}, headers=SANDBOX)

    assert shipped.status_code == 200
    assert shipped.json()["status_id"] == 2 and shipped.json()["status"] == "Shipped"
    assert (await demo.get(f"{ORDERS}/101", headers=SANDBOX)).json()["status"] == "Shipped"
    # one store for every hash: what the store page shows
    assert (await demo.get(f"{SANDBOX_PATH}/stores/other/v2/orders/101", headers=SANDBOX)).json()[
        "status"
    ] == "Shipped"
    assert (await demo.get(f"{ORDERS}/102", headers=SANDBOX)).json()["status_id"] == 11


@pytest.mark.parametrize("headers", [{}, {"X-Auth-Token": "wrong"}])
async def test_sandbox_orders_refuse_a_wrong_token_with_a_v2_error(
    demo: AsyncTestClient, headers: dict[str, str]
) -> None:
    read = await demo.get(f"{ORDERS}/101", headers=headers)
    write = await demo.put(f"{ORDERS}/101", json={"status_id": 2}, headers=headers)

    for answer in (read, write):
        assert answer.status_code == 401
        [error] = answer.json()
        assert error["status"] == 401 and SANDBOX_TOKEN in error["message"]
    assert (await demo.get(f"{ORDERS}/101", headers=SANDBOX)).json()["status_id"] == 11


@pytest.mark.parametrize(
    ("order", "body", "status"),
    [
        ("999", {"status_id": 2}, 404),
        ("abc", {"status_id": 2}, 404),
        ("101", {"status_id": 99}, 400),
        ("101", {"status_id": "2"}, 400),
        ("101", {"status_id": True}, 400),
        ("101", {"status": "Shipped"}, 400),
    ],
)
async def test_sandbox_orders_refuse_unknown_orders_and_bad_statuses(
    demo: AsyncTestClient, order: str, body: dict, status: int
) -> None:
    answer = await demo.put(f"{ORDERS}/{order}", json=body, headers=SANDBOX)

    assert answer.status_code == status
    [error] = answer.json()
    assert error["status"] == status and error["message"]
    assert (await demo.get(f"{ORDERS}/101", headers=SANDBOX)).json()["status_id"] == 11
    assert (await demo.get(f"{ORDERS}/999", headers=SANDBOX)).status_code == 404


def test_a_new_sandbox_store_has_the_seed_orders_awaiting_fulfillment() -> None:
    orders = SandboxStore().listing()
    assert [o.id for o in orders] == [101, 102, 103]
    assert {o.status for o in orders} == {"Awaiting Fulfillment"}


# ---- /demo/store ------------------------------------------------------------------------


async def test_store_page_lists_the_orders_and_polls_its_rows(demo: AsyncTestClient) -> None:
    await demo.put(f"{ORDERS}/103", json={"status_id": 5}, headers=SANDBOX)

    page = await demo.get("/demo/store")
    rows = await demo.get("/demo/store/orders", headers=HTMX)

    assert page.status_code == rows.status_code == 200
    text = visible_text(page.text)
    assert "BigCommerce sandbox store" in text
    assert "#101" in text and "#102" in text and "#103 Alan Turing $310.99 Cancelled" in text
    body = by_id(page.text, "orders")
    assert body.tag == "tbody" and body.attrs["hx-get"] == "/demo/store/orders"
    assert "every 2s" in body.attrs["hx-trigger"]
    # the fragment the page polls is the page's own table body
    assert by_id(rows.text, "orders").text == body.text
    assert "<html" not in rows.text


# ---- /demo: Send Fulfillment Updated ----------------------------------------------------


async def test_before_installing_the_form_says_install_first(demo: AsyncTestClient) -> None:
    page = await demo.get("/demo/")
    sent = await demo.post(
        "/demo/events", data={"orderId": "101", "status": "FULFILLED"}, headers=HTMX
    )

    assert "Install BigCommerce first" in by_id(page.text, "install-first").text
    assert re.search(r"<fieldset disabled", page.text)
    assert "No runs yet." in visible_text(page.text)
    assert sent.status_code == 409
    assert "Not sent: BigCommerce is not installed yet" in visible_text(sent.text)
    assert (await demo.get(f"{ORDERS}/101", headers=SANDBOX)).json()["status_id"] == 11


async def test_sending_fulfillment_updated_runs_the_workflow_and_shows_its_log(
    demo: AsyncTestClient, store: FakeBigCommerce
) -> None:
    await install(demo)
    page = await demo.get("/demo/")
    assert "install-first" not in page.text and "<fieldset disabled" not in page.text
    assert by_id(page.text, "event-result").attrs["aria-live"] == "polite"

    sent = await demo.post(
        "/demo/events", data={"orderId": "101", "status": "FULFILLED"}, headers=HTMX
    )

    assert sent.status_code == 200, sent.text
    text = visible_text(sent.text)
    assert "Sent “Fulfillment Updated” for order 101 with status FULFILLED" in text
    assert "1 execution started" in text
    [execution_id] = re.findall(r'<code class="execution-id">([^<]+)</code>', sent.text)[:1]
    assert f'data-execution-id="{execution_id}"' in sent.text

    async def finished() -> str | None:
        log = (await demo.get("/demo/runs", headers=HTMX)).text
        return log if "Succeeded" in visible_text(log) else None

    log = await eventually(finished, timeout_s=20)
    assert 'hx-trigger="every 1s"' not in log  # finished: the log stops polling
    assert "BigCommerce: success" in visible_text(log)
    assert "order 101 is now “Shipped”" in visible_text(log)
    assert store.order(STORE_HASH, 101)["status_id"] == 2
    # the full page shows the same log
    assert f'data-execution-id="{execution_id}"' in (await demo.get("/demo/")).text


async def test_a_run_that_fails_shows_the_blocks_error(
    demo: AsyncTestClient, store: FakeBigCommerce
) -> None:
    await install(demo)

    sent = await demo.post(
        "/demo/events",
        data={"orderId": "101", "status": "other", "otherStatus": "RETURNED"},
        headers=HTMX,
    )

    assert sent.status_code == 200, sent.text
    assert "with status RETURNED" in visible_text(sent.text)

    async def failed() -> str | None:
        log = (await demo.get("/demo/runs", headers=HTMX)).text
        return log if "Failed" in visible_text(log) else None

    log = visible_text(await eventually(failed, timeout_s=20))
    assert "BigCommerce: failed" in log and "not a BigCommerce order status" in log
    assert store.order(STORE_HASH, 101)["status_id"] == 11


async def test_refused_events_show_the_apis_error_inline(
    demo: AsyncTestClient, store: FakeBigCommerce
) -> None:
    await install(demo)

    sent = await demo.post("/demo/events", data={"orderId": "", "status": "DELIVERED"})

    assert sent.status_code == 422
    text = visible_text(sent.text)
    assert "The API refused the event (422 invalid_event_data)" in text
    assert "orderId:" in text
    assert "<html" in sent.text  # without HTMX: a whole page, with a way back
    assert "Back to integrations" in text
    assert [r for r in store.requests if "/orders/" in r.path] == []

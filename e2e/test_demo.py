"""``install-service demo`` (what ``make run`` serves) driven by a real browser: a newcomer
opens /demo, installs BigCommerce against the built-in sandbox, sees the webhook arrive, sends
"Fulfillment Updated" and watches the run succeed and the sandbox store's order change."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from e2e.test_small_screens import PHONE, assert_fits

DIALOG = "div[role=dialog][aria-modal=true]"


def test_demo_install_end_to_end(page: Page, shot, demo_server: str) -> None:
    page.goto(demo_server + "/demo")
    card = page.locator("article.card", has=page.get_by_role("heading", name="BigCommerce"))
    expect(card.locator(".status")).to_have_text("Not installed")
    shot(page, "demo-page")

    card.get_by_role("button", name="Install").click()
    expect(page.locator(DIALOG)).to_be_visible()
    modal = page.frame_locator(f"{DIALOG} iframe")
    note = modal.get_by_role("note")
    expect(note).to_contain_text("Demo sandbox")
    expect(note).to_contain_text("sandbox-token")
    shot(page, "modal-sandbox-note")

    modal.get_by_label("Store hash").fill("demo")
    modal.get_by_label("Access token").fill("sandbox-token")
    shot(page, "filled")
    modal.get_by_role("button", name="Finish Installation").click()
    expect(modal.locator("#success-title")).to_contain_text("is installed")
    shot(page, "installed")
    # The success step stays until the user closes it: still there once the install's
    # webhook (which comes after it) has reached the demo inbox.
    deadline = time.monotonic() + 15
    while 'class="card webhook"' not in _inbox(page, demo_server):
        assert time.monotonic() < deadline, "the install's webhook never reached the inbox"
        time.sleep(0.1)
    expect(modal.locator("#success-title")).to_be_visible()

    with page.expect_navigation():  # demo.js reloads the page once the modal is closed
        modal.get_by_role("button", name="Done").click()
    expect(page.locator(DIALOG)).to_have_count(0)
    expect(card.locator(".status")).to_have_text("Installed")
    shot(page, "reloaded")

    page.goto(demo_server + "/demo/webhooks")
    deadline = time.monotonic() + 15
    while page.locator("article.webhook").count() == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(300)
        page.reload()
    webhooks = page.locator("article.webhook")
    expect(webhooks).to_have_count(1)
    expect(webhooks).to_contain_text("Standard Webhooks signature: valid")
    expect(webhooks).to_contain_text("X-Alloy-Signature: valid")
    expect(webhooks.locator("pre")).to_contain_text('"success": true')
    shot(page, "webhook-inbox")

    _send_fulfillment_updated(page, shot, demo_server)


def _send_fulfillment_updated(page: Page, shot, demo_server: str) -> None:
    """Order 101 FULFILLED from /demo's form: the run succeeds in the log, and the sandbox
    store (open in another tab, never reloaded) shows order 101 Shipped."""
    store = page.context.new_page()
    store.goto(demo_server + "/demo/store")
    order = store.locator("tr[data-order-id='101'] .order-status")
    expect(order).to_have_text("Awaiting Fulfillment")

    page.goto(demo_server + "/demo")
    form = page.get_by_role("region", name="Send “Fulfillment Updated”")
    expect(form.get_by_text("Install BigCommerce first")).to_have_count(0)
    form.get_by_label("Fulfillment status").select_option("FULFILLED")
    form.get_by_label("Order ID").fill("101")
    form.get_by_label("Order ID").press("Enter")  # the keyboard sends it, as the button would

    result = page.locator("#event-result")
    expect(result).to_have_attribute("aria-live", "polite")
    expect(result).to_contain_text("1 execution started")
    execution_id = result.locator(".result .execution-id").first.inner_text()
    run = result.locator(f".run[data-execution-id='{execution_id}']")
    expect(run.locator(".run-state")).to_have_text("Succeeded", timeout=30_000)
    expect(run).to_contain_text("BigCommerce: success")
    expect(run).to_contain_text("order 101 is now “Shipped”")
    run.scroll_into_view_if_needed()
    shot(page, "run-succeeded")

    expect(order).to_have_text("Shipped")  # the store page polled its rows
    expect(store.locator("tr[data-order-id='102'] .order-status")).to_have_text(
        "Awaiting Fulfillment"
    )
    shot(store, "store-shipped")

    for target in (page, store):
        target.set_viewport_size(PHONE)
        target.reload()
        expect(target.locator("h1")).to_be_visible()
        assert_fits(target, target.url)
    shot(page, "phone-integrations")
    shot(store, "phone-store")
    store.close()


def _inbox(page: Page, demo_server: str) -> str:
    """The demo webhook inbox's HTML, fetched beside the page (not navigating it)."""
    return page.request.get(demo_server + "/demo/webhooks").text()

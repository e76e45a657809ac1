"""Workflow #1 in ``install-service demo``, in a real browser: installing BigCommerce by the
modal registers a webhook in the sandbox store; "Create order" there makes the sandbox send
BigCommerce's callback; the workflow fetches the order and streams it to AcmeCo's inbox,
where both signatures show verified."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.test_small_screens import PHONE, assert_fits

DIALOG = "div[role=dialog][aria-modal=true]"


def install_bigcommerce(page: Page, demo_server: str) -> None:
    """The demo user installs BigCommerce with the modal (any store hash, sandbox token)."""
    page.goto(demo_server + "/demo")
    card = page.locator("article.card", has=page.get_by_role("heading", name="BigCommerce"))
    card.get_by_role("button", name="Install").click()
    modal = page.frame_locator(f"{DIALOG} iframe")
    modal.get_by_label("Store hash").fill("demo")
    modal.get_by_label("Access token").fill("sandbox-token")
    modal.get_by_role("button", name="Finish Installation").click()
    expect(modal.locator("#success-title")).to_contain_text("is installed")
    with page.expect_navigation():  # demo.js reloads the page once the modal is closed
        modal.get_by_role("button", name="Done").click()
    expect(card.locator(".status")).to_have_text("Installed")


def test_a_new_sandbox_order_streams_to_the_inbox_signed(
    page: Page, shot, demo_server: str
) -> None:
    install_bigcommerce(page, demo_server)

    page.goto(demo_server + "/demo/store")
    hooks = page.locator("#hooks")
    # the install's hook is registered by a background workflow: the list polls until it is
    expect(hooks.locator("li")).to_have_count(1, timeout=30_000)
    expect(hooks).to_contain_text("active")
    expect(hooks).to_contain_text("store/order/created")
    expect(hooks).to_contain_text(demo_server + "/triggers/bigcommerce/")
    shot(page, "hook-registered")

    create = page.get_by_role("button", name="Create order")
    create.focus()
    page.keyboard.press("Enter")  # the keyboard creates it, as a click would
    result = page.get_by_role("status").filter(has_text="Order #104 created")
    expect(result).to_contain_text("Order #104 created · sent to 1 webhook.")
    expect(result).to_contain_text("answered 200")
    expect(result).not_to_contain_text("Ada Lovelace")  # the rows went to the table
    expect(page.locator("tr[data-order-id='104'] .order-status")).to_have_text(
        "Awaiting Fulfillment"
    )
    shot(page, "order-created")

    result.get_by_role("link", name="webhook inbox").click()
    expect(page).to_have_url(demo_server + "/demo/webhooks")
    streamed = page.locator("article.webhook.streamed")
    # the run fetches the order and streams it; the inbox's list polls until it lands
    expect(streamed).to_have_count(1, timeout=30_000)
    expect(streamed.get_by_role("heading")).to_have_text(
        "Order #104 streamed · Awaiting Fulfillment"
    )
    expect(streamed).to_contain_text("Standard Webhooks signature: valid")
    expect(streamed).to_contain_text("X-Alloy-Signature: valid")
    expect(streamed.locator(".workflow-id")).not_to_be_empty()
    expect(streamed.locator(".execution-id")).not_to_be_empty()
    streamed.get_by_text("Payload").click()
    expect(streamed.locator("pre")).to_contain_text('"id": 104')
    expect(streamed.locator("pre")).to_contain_text('"customer_name": "Katherine Johnson"')
    shot(page, "inbox-streamed-order")

    page.set_viewport_size(PHONE)
    for path in ("/demo/webhooks", "/demo/store"):
        page.goto(demo_server + path)
        expect(page.locator("h1")).to_be_visible()
        assert_fits(page, page.url)
        shot(page, "phone-" + path.rsplit("/", 1)[1])


def test_create_order_before_installing_says_to_install_first(page: Page, demo_server: str) -> None:
    page.goto(demo_server + "/demo/store")
    expect(page.locator("#hooks")).to_contain_text("No webhook registered yet.")

    page.get_by_role("button", name="Create order").click()

    result = page.get_by_role("status").filter(has_text="created")
    expect(result).to_contain_text(
        "Order #104 created · no webhook registered: install BigCommerce on the integrations page first."
    )
    expect(page.locator("tr[data-order-id='104']")).to_be_visible()

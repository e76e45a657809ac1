"""``install-service demo`` (what ``make run`` serves) driven by a real browser: a newcomer
opens /demo, installs BigCommerce against the built-in sandbox and sees the webhook arrive."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

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


def _inbox(page: Page, demo_server: str) -> str:
    """The demo webhook inbox's HTML, fetched beside the page (not navigating it)."""
    return page.request.get(demo_server + "/demo/webhooks").text()

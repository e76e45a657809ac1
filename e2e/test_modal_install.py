"""The install modal in a real Chromium: opened by embedded.js from a third-party page on
another origin, or framed directly with the token in the URL (Alloy's own SDK style)."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote

from playwright.sync_api import FrameLocator, Page, expect

from e2e.support.servers import GOOD_TOKEN, FakeBigCommerce, Service
from install_service.webhooks.outbox import INSTALLATION_COMPLETED
from tests.support.receiver import Receiver
from tests.support.webhooks import is_installation_webhook, settled_deliveries_blocking, verify_both

DIALOG = "div[role=dialog][aria-modal=true]"
MODAL_FRAME = f"{DIALOG} iframe"


def open_modal(page: Page, service: Service, token: str) -> FrameLocator:
    """Open the host page, click its Install button; returns the modal's frame once its form is up."""
    page.goto(service.host_page(token))
    assert page.evaluate("location.origin") != service.url  # a genuinely third-party page
    page.click("#install")
    expect(page.locator(DIALOG)).to_be_visible()
    modal = page.frame_locator(MODAL_FRAME)
    expect(
        modal.locator("#install-form, #installed-title")
    ).to_be_visible()  # past the token handshake
    return modal


def finish_installation(
    modal: FrameLocator, store_hash: str = "abc123", token: str = GOOD_TOKEN
) -> None:
    modal.get_by_label("Store hash").fill(store_hash)
    modal.get_by_label("Access token").fill(token)
    modal.get_by_role("button", name="Finish Installation").click()
    expect(modal.locator("#success-title")).to_contain_text("is installed")


def framing_page(host_origin: str, service: Service, token: str) -> str:
    src = f"{service.url}/forge-install?integrationId={service.integration_id}&token={token}&forgeMode=engaged"
    return f"{host_origin}/frame?src={quote(src, safe='')}"


def test_install_from_a_cross_origin_host_page(
    page: Page, shot, service: Service, receiver: Receiver, fake_bigcommerce: FakeBigCommerce
) -> None:
    user_id, token = service.new_user()
    modal = open_modal(page, service, token)
    iframe = page.locator(MODAL_FRAME)
    src = iframe.get_attribute("src") or ""
    assert src.startswith(service.url + "/forge-install?") and "token=" not in src
    assert "token=" not in iframe.element_handle().content_frame().url
    finish = modal.get_by_role("button", name="Finish Installation")
    expect(finish).to_be_visible()
    shot(page, "modal-open")

    finish.click()
    store_hash_error = modal.locator("#e-storeHash")
    expect(store_hash_error).to_be_visible()
    expect(store_hash_error).to_contain_text(re.compile("store hash", re.IGNORECASE))
    expect(modal.get_by_label("Store hash")).to_have_attribute("aria-invalid", "true")
    shot(page, "empty-fields")

    fake_bigcommerce.delay_s = 1.0
    try:
        modal.get_by_label("Store hash").fill("abc123")
        modal.get_by_label("Access token").fill("bad")
        finish.click()
        expect(modal.locator("#testing")).to_be_visible()
        expect(finish).to_be_disabled()
        shot(page, "testing-connection")
        expect(modal.locator("#form-summary")).to_contain_text("Invalid access token")
    finally:
        fake_bigcommerce.delay_s = 0.0
    expect(modal.locator("#testing")).to_be_hidden()
    expect(modal.get_by_label("Store hash")).to_have_value("abc123")
    assert ("abc123", "bad") in fake_bigcommerce.calls
    shot(page, "invalid-token")

    modal.get_by_label("Access token").fill(GOOD_TOKEN)
    finish.click()
    expect(modal.locator("#success-title")).to_contain_text("is installed")
    shot(page, "installed")
    page.wait_for_function("() => window.RESULT !== undefined")
    result = page.evaluate("window.RESULT")
    assert result["success"] is True and result["workflowIds"]

    [hook] = receiver.wait_for(1, where=lambda r: is_installation_webhook(r, user_id))
    verify_both(hook, receiver.url, service.webhook_secret, service.public_key_pem())
    body = json.loads(hook.body)
    assert body["success"] is True
    assert body["integrationId"] == service.integration_id
    assert sorted(body["workflowIds"]) == sorted(result["workflowIds"])
    assert list(body["credentials"]) == ["bigcommerce"] and body["credentials"]["bigcommerce"]

    modal.get_by_role("button", name="Done").click()
    expect(page.locator(DIALOG)).to_have_count(0)
    expect(page.locator("#install")).to_be_focused()
    assert page.evaluate("window.RESULT.success") is True  # Done does not call the callback again
    shot(page, "closed")
    # Its one delivery was sent once and is settled: the worker has nothing more to send.
    [delivery] = settled_deliveries_blocking(
        service.database_url, payload_contains=user_id, event_type=INSTALLATION_COMPLETED
    )
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 1)
    assert len([r for r in receiver.requests if is_installation_webhook(r, user_id)]) == 1


def test_escape_closes_the_modal_and_returns_focus(page: Page, shot, service: Service) -> None:
    _, token = service.new_user()
    modal = open_modal(page, service, token)
    expect(modal.get_by_label("Store hash")).to_be_focused()  # keyboard users start in the form
    assert page.evaluate("document.activeElement.tagName") == "IFRAME"
    shot(page, "focus-in-modal")

    # Handled inside the iframe: modal.js posts {closeModal: true}. Not keyboard.press(): its
    # keyup would target the iframe being removed, and Chromium may never acknowledge it.
    page.keyboard.down("Escape")
    expect(page.locator(DIALOG)).to_have_count(0)
    page.keyboard.up("Escape")
    page.wait_for_function("() => window.RESULT !== undefined")
    assert page.evaluate("window.RESULT") == {"success": False}
    expect(page.locator("#install")).to_be_focused()
    shot(page, "closed")


def test_a_disallowed_origin_cannot_frame_the_modal(page: Page, shot, service: Service) -> None:
    _, token = service.new_user()
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text):
        page.goto(framing_page(service.other_host.origin, service, token))
    page.wait_for_load_state("load")
    frame = page.locator("#direct").element_handle().content_frame()
    assert frame is not None
    deadline = time.monotonic() + 10
    while not frame.url.startswith("chrome-error://") and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert frame.url.startswith("chrome-error://"), (
        frame.url
    )  # Chromium's "refused to connect" page
    assert "Finish Installation" not in frame.content()
    shot(page, "blocked")

    page.goto(framing_page(service.host.origin, service, token))  # control: the allowed origin
    expect(
        page.frame_locator("#direct").get_by_role("button", name="Finish Installation")
    ).to_be_visible()
    shot(page, "allowed")


def test_reopening_after_install_says_already_installed(page: Page, shot, service: Service) -> None:
    _, token = service.new_user()
    finish_installation(open_modal(page, service, token))
    page.frame_locator(MODAL_FRAME).get_by_role("button", name="Done").click()
    expect(page.locator(DIALOG)).to_have_count(0)

    page.click("#install")
    modal = page.frame_locator(MODAL_FRAME)
    expect(modal.locator("#installed-title")).to_contain_text("already installed")
    expect(modal.get_by_role("button", name="Finish Installation")).to_have_count(0)
    shot(page, "already-installed")


def test_alloy_sdk_style_token_in_url_is_stripped(page: Page, shot, service: Service) -> None:
    _, token = service.new_user()
    page.goto(framing_page(service.host.origin, service, token))
    assert f"token={token}" in (page.locator("#direct").get_attribute("src") or "")
    modal = page.frame_locator("#direct")
    expect(modal.get_by_role("button", name="Finish Installation")).to_be_visible()
    frame = page.frame(name="direct")
    assert frame is not None
    href = frame.evaluate("location.href")
    assert "token=" not in href and "forgeMode=engaged" in href
    shot(page, "token-stripped")

    finish_installation(modal)  # HTMX still sends the token (kept in memory) with each step
    shot(page, "installed")

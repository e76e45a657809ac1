"""Closing the modal from a third-party ISV page in a real Chromium: the error page's Close
button (a bad user token), and the overlay's own close button, reached by keyboard."""

from __future__ import annotations

import json
import uuid

from playwright.sync_api import Page, expect

from e2e.support.servers import Service

DIALOG = "div[role=dialog][aria-modal=true]"
MODAL_FRAME = f"{DIALOG} iframe"
MAX_TABS = 25  # the form has fewer focusable elements than this

# An ISV page embedding the modal the way Alloy's own SDK does: the token in the iframe's
# URL, {closeModal: true} from the service's origin removes the iframe.
URL_TOKEN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AcmeCo (token in the URL)</title></head>
<body>
  <button id="install" type="button">Install BigCommerce</button>
  <script>
    window.MESSAGES = [];
    document.getElementById('install').addEventListener('click', function () {
      var frame = document.createElement('iframe');
      frame.id = 'modal';
      frame.title = 'Install integration';
      frame.width = 560; frame.height = 720;
      frame.src = '{service}/forge-install?integrationId=' + INTEGRATION_ID +
        '&token=' + encodeURIComponent({token}) + '&forgeMode=engaged';
      document.body.appendChild(frame);
      window.addEventListener('message', function (event) {
        if (event.origin !== '{service}' || event.source !== frame.contentWindow) return;
        window.MESSAGES.push(event.data);
        if (event.data && event.data.closeModal === true) {
          frame.remove();
          document.getElementById('install').focus();
        }
      });
    });
  </script>
</body></html>
"""


def a_tampered_token(service: Service) -> str:
    """A real user token whose signature no longer matches its claims."""
    _, token = service.new_user()
    head, claims, signature = token.split(".")
    return ".".join([head, claims, ("A" if signature[0] != "A" else "B") + signature[1:]])


def test_close_on_the_error_page_closes_the_modal(page: Page, shot, service: Service) -> None:
    page.goto(service.host_page(a_tampered_token(service)))
    page.click("#install")
    modal = page.frame_locator(MODAL_FRAME)
    expect(modal.get_by_role("heading", name="Your session could not be verified")).to_be_visible()
    expect(page.locator(DIALOG)).to_be_visible()
    shot(page, "error")

    modal.locator("#modal-body").get_by_role("button", name="Close").click()

    expect(page.locator(DIALOG)).to_have_count(0)
    expect(page.locator("#install")).to_be_focused()
    page.wait_for_function("() => window.RESULT !== undefined")
    assert page.evaluate("window.RESULT") == {"success": False}
    shot(page, "closed")


def test_close_on_the_full_error_page_posts_close_modal(page: Page, shot, service: Service) -> None:
    name = f"url-token-{uuid.uuid4().hex[:8]}"
    service.host.pages[name] = URL_TOKEN_PAGE.replace(
        "INTEGRATION_ID", json.dumps(service.integration_id)
    )
    page.goto(f"{service.host.origin}/page/{name}?token=not-a-token")
    page.click("#install")
    modal = page.frame_locator("#modal")
    expect(modal.get_by_role("heading", name="Your session could not be verified")).to_be_visible()
    shot(page, "error-page")

    modal.get_by_role("button", name="Close").click()

    expect(page.locator("#modal")).to_have_count(0)
    expect(page.locator("#install")).to_be_focused()
    assert {"closeModal": True} in page.evaluate("window.MESSAGES")
    shot(page, "closed")


def test_tab_reaches_the_overlay_close_button_and_enter_closes(
    page: Page, shot, service: Service
) -> None:
    _, token = service.new_user()
    page.goto(service.host_page(token))
    page.click("#install")
    modal = page.frame_locator(MODAL_FRAME)
    expect(modal.get_by_label("Store hash")).to_be_focused()
    close = page.locator(DIALOG).get_by_role("button", name="Close", exact=True)
    expect(close).to_be_visible()

    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if close.evaluate("el => el === document.activeElement"):
            break
    expect(close).to_be_focused()
    outline = close.evaluate(
        "el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth"
    )
    assert not outline.startswith("none") and not outline.endswith(" 0px"), outline
    shot(page, "close-focused")

    page.keyboard.press("Enter")

    expect(page.locator(DIALOG)).to_have_count(0)
    expect(page.locator("#install")).to_be_focused()
    page.wait_for_function("() => window.RESULT !== undefined")
    assert page.evaluate("window.RESULT") == {"success": False}
    shot(page, "closed")

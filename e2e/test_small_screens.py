"""A phone-sized viewport (375 x 667 CSS px, an iPhone SE/8) in a real Chromium: the modal over
the ISV's page and the hosted Alloy Link page never scroll sideways, at every step."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Frame, Page, expect

from e2e.support.servers import GOOD_TOKEN, Service

PHONE = {"width": 375, "height": 667}
DIALOG = "div[role=dialog][aria-modal=true]"
MODAL_FRAME = f"{DIALOG} iframe"
# The document's width, the viewport's, and the elements sticking out (for the message).
WIDTHS = """() => [document.documentElement.scrollWidth, window.innerWidth,
  [...document.body.querySelectorAll('*')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth)
    .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')).slice(0, 8)]"""


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def assert_fits(target: Page | Frame, what: str) -> None:
    scroll_width, inner_width, too_wide = target.evaluate(WIDTHS)
    assert scroll_width <= inner_width, (
        f"{what}: {scroll_width} px wide in {inner_width} px ({', '.join(too_wide)})"
    )


def modal_document(page: Page) -> Frame:
    frame = page.locator(MODAL_FRAME).element_handle().content_frame()
    assert frame is not None
    return frame


def a_tampered_token(service: Service) -> str:
    _, token = service.new_user()
    head, claims, signature = token.split(".")
    return ".".join([head, claims, ("A" if signature[0] != "A" else "B") + signature[1:]])


def test_the_modal_fits_a_phone(phone: Page, shot, service: Service) -> None:
    _, token = service.new_user()
    phone.goto(service.host_page(token))
    phone.click("#install")
    modal = phone.frame_locator(MODAL_FRAME)
    expect(modal.get_by_label("Store hash")).to_be_visible()
    expect(phone.locator(DIALOG).get_by_role("button", name="Close", exact=True)).to_be_visible()
    assert_fits(phone, "host page")
    assert_fits(modal_document(phone), "credentials step")
    shot(phone, "credentials")

    modal.get_by_role("button", name="Finish Installation").click()  # empty: field errors
    expect(modal.locator("#e-storeHash")).to_be_visible()
    assert_fits(modal_document(phone), "credentials step with errors")
    shot(phone, "field-errors")


def test_the_modal_error_state_fits_a_phone(phone: Page, shot, service: Service) -> None:
    phone.goto(service.host_page(a_tampered_token(service)))
    phone.click("#install")
    modal = phone.frame_locator(MODAL_FRAME)
    expect(modal.get_by_role("heading", name="Your session could not be verified")).to_be_visible()
    assert_fits(phone, "host page")
    assert_fits(modal_document(phone), "error state")
    shot(phone, "error")


def test_the_hosted_link_page_fits_a_phone(phone: Page, shot, service: Service) -> None:
    user_id, _ = service.new_user()
    answer = httpx.get(
        f"{service.url}/2023-12/users/{user_id}/integrations/{service.integration_id}/install-url",
        headers={"Authorization": f"Bearer {service.api_key}"},
    )
    assert answer.status_code == 200, answer.text

    phone.goto(answer.json()["url"])
    expect(phone.get_by_role("button", name="Continue")).to_be_visible()
    assert_fits(phone, "landing")
    shot(phone, "landing")

    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_label("Store hash")).to_be_visible()
    assert_fits(phone, "form")
    shot(phone, "form")

    phone.get_by_label("Store hash").fill("abc123")
    phone.get_by_label("Access token").fill(GOOD_TOKEN)
    phone.get_by_role("button", name="Finish Installation").click()
    expect(phone.locator("#success-title")).to_contain_text("is installed")
    assert_fits(phone, "success")
    shot(phone, "success")

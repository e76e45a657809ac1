"""Alloy Link in a real Chromium: an end user opens an emailed install link in a browser
that has never seen the service, installs, is sent back to the ISV, and cannot reuse it."""

from __future__ import annotations

import json

import httpx
from playwright.sync_api import Browser, Page, expect

from e2e.support.servers import GOOD_TOKEN, Service
from tests.support.receiver import Receiver
from tests.support.webhooks import is_installation_webhook, verify_both


def install_link(service: Service, user_id: str, redirect_url: str) -> str:
    """What the ISV backend emails: ``GET /users/{id}/integrations/{id}/install-url``."""
    response = httpx.get(
        f"{service.url}/2023-12/users/{user_id}/integrations/{service.integration_id}/install-url",
        params={"redirectUrl": redirect_url},
        headers={"Authorization": f"Bearer {service.api_key}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["url"]


def test_an_emailed_link_installs_once_then_says_already_used(
    browser: Browser, page: Page, shot, service: Service, receiver: Receiver
) -> None:
    user_id, _ = service.new_user()
    back_to_isv = f"{service.host.origin}/host?installed=1"
    url = install_link(service, user_id, back_to_isv)

    opened = page.goto(url)
    assert opened is not None and opened.status == 200
    expect(page.get_by_role("heading", level=2)).to_contain_text("AcmeCo invites you to connect")
    shot(page, "landing")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Store hash").fill("abc123")
    page.get_by_label("Access token").fill(GOOD_TOKEN)
    shot(page, "credentials")
    page.get_by_role("button", name="Finish Installation").click()
    expect(page.locator("#success-title")).to_contain_text("is installed")
    expect(page.get_by_role("status")).to_contain_text("Taking you back to AcmeCo")
    shot(page, "installed")

    page.wait_for_url(back_to_isv, timeout=10_000)  # success shown first, then the redirect
    [hook] = receiver.wait_for(1, where=lambda r: is_installation_webhook(r, user_id))
    verify_both(hook, receiver.url, service.webhook_secret, service.public_key_pem())
    assert json.loads(hook.body)["integrationId"] == service.integration_id

    other = browser.new_context()  # e.g. the same email opened again later, on another device
    try:
        again = other.new_page()
        reopened = again.goto(url)
        assert reopened is not None and reopened.status == 410
        expect(again.get_by_role("heading", name="This link can no longer be used")).to_be_visible()
        expect(again.get_by_role("alert")).to_contain_text("already used")
        expect(again.get_by_role("button", name="Finish Installation")).to_have_count(0)
        expect(
            again.get_by_role("button", name="Close")
        ).to_be_hidden()  # a full page: nothing to close
        shot(again, "already-used")
    finally:
        other.close()

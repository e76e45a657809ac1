"""The Installation Manager in a real Chromium: sign in, Integrations → BigCommerce →
Installations lists every user who installed; one user's installation page deactivates and
reactivates their fulfillment workflow in place (htmx), and that workflow gets a
user-specific version with a Math block (its Expression checked as typed), released for
that user only: the API then shows only their installedVersion moved. axe-core finds no
violation on the pages, and none scrolls sideways at 768 px."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, Page, expect

from e2e.support.axe import no_axe_violations
from e2e.support.servers import Service
from e2e.test_dashboard_sign_in import (  # noqa: F401 (fixtures)
    PASSWORD,
    dashboard,
    fits_768,
    staff_account,
)
from e2e.test_modal_install import finish_installation, open_modal

FULFILLMENT = (
    "When a fulfillment status is updated in AcmeCo, update the order status in BigCommerce"
)


def api(service: Service) -> httpx.Client:
    return httpx.Client(
        base_url=f"{service.url}/2023-12", headers={"Authorization": f"Bearer {service.api_key}"}
    )


def installed_user(browser: Browser, service: Service) -> tuple[str, str]:
    """A new end user who installed BigCommerce through the modal: (userId, username)."""
    user_id, token = service.new_user()
    context = browser.new_context()
    try:
        finish_installation(open_modal(context.new_page(), service, token))
    finally:
        context.close()
    with api(service) as client:
        return user_id, client.get(f"/users/{user_id}").json()["username"]


def fulfillment(service: Service, user_id: str) -> dict:
    """The fulfillment workflow as ``GET /integrations?userId=`` shows it to the ISV."""
    with api(service) as client:
        answer = client.get("/integrations", params={"userId": user_id})
    assert answer.status_code == 200, answer.text
    [integration] = [
        i for i in answer.json()["data"] if i["integrationId"] == service.integration_id
    ]
    return next(w for w in integration["workflows"] if w["name"] == FULFILLMENT)


def test_a_user_specific_version_with_a_math_block_changes_that_user_only(
    dashboard: Page,  # noqa: F811 (the fixture imported above)
    browser: Browser,
    shot,
    service: Service,
    staff_account: str,  # noqa: F811
) -> None:
    gregg_id, gregg = installed_user(browser, service)
    other_id, other = installed_user(browser, service)
    other_before = fulfillment(service, other_id)
    page = dashboard

    page.goto(f"{service.url}/dashboard")
    page.get_by_label("Email", exact=True).fill(staff_account)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{service.url}/dashboard/integrations")
    page.get_by_role("link", name=re.compile(r"^BigCommerce")).click()
    page.get_by_role("navigation", name="BigCommerce sections").get_by_role(
        "link", name="Installations"
    ).click()
    expect(page).to_have_url(re.compile(r"/installations$"))

    with api(service) as client:
        everyone = client.get(
            f"/integrations/{service.integration_id}/installations", params={"limit": 50}
        ).json()["data"]
    assert len(everyone) < 50  # one page holds them all
    results = page.locator("#installation-results")
    expect(results.locator("tbody tr")).to_have_count(len(everyone))
    for installation in everyone:
        expect(
            results.get_by_role("link", name=installation["username"], exact=True)
        ).to_be_visible()
    shot(page, "installations")
    no_axe_violations(page)
    fits_768(page)

    page.get_by_label("Search by username").fill(gregg[:-2])  # htmx, as typed
    expect(page.locator("#installation-count")).to_contain_text("with a username starting")
    expect(results.get_by_role("link", name=other, exact=True)).to_have_count(0)
    results.get_by_role("link", name=gregg, exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(gregg)
    shot(page, "installation")
    no_axe_violations(page)
    fits_768(page)
    row = page.locator("tr", has=page.get_by_role("link", name=FULFILLMENT, exact=True))
    row.get_by_role("button", name="Deactivate").click()  # htmx: the table in place
    expect(page.get_by_role("status").filter(has_text="is now inactive")).to_be_visible()
    expect(row.get_by_text("Inactive", exact=True)).to_be_visible()
    assert fulfillment(service, gregg_id)["active"] is False
    row.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("status").filter(has_text="is now active")).to_be_visible()
    assert fulfillment(service, gregg_id)["active"] is True
    page.get_by_role("link", name=FULFILLMENT, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FULFILLMENT)

    page.get_by_role("button", name="Create a new user-specific version").click()
    expect(
        page.get_by_role("heading", name=re.compile(r"^User-specific version v\d+ Draft"))
    ).to_be_visible()
    version_id = page.url.rsplit("/", 1)[1]
    page.get_by_role("link", name="Add block").click()
    with page.expect_response(re.compile(r"/blocks/new\?")):  # htmx: that type's fields
        page.get_by_label("Block type").select_option(label="Math")
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    expression = page.get_by_label("Expression")
    expression.fill("event.total *")
    expect(page.locator("#expression-error")).to_contain_text("does not parse")
    expect(expression).to_have_attribute("aria-invalid", "true")
    shot(page, "expression-error")
    no_axe_violations(page)
    expression.fill("event.total * 0.05")
    expect(page.locator("#expression-error")).to_have_text("")
    expect(expression).not_to_have_attribute("aria-invalid", "true")
    page.get_by_label("Name").fill("Tax")
    fits_768(page)
    page.get_by_role("button", name="Add block").click()

    blocks = page.locator(".block-list")
    expect(blocks.locator(".block-name")).to_have_text(["Custom Event", "BigCommerce", "Tax"])
    expect(blocks).to_contain_text("event.total * 0.05")
    shot(page, "math-block")
    no_axe_violations(page)
    page.get_by_role("button", name="Release user-specific version").click()
    expect(page.locator("#release-result")).to_contain_text(f"is live for {gregg}")
    shot(page, "released")

    mine, theirs = fulfillment(service, gregg_id), fulfillment(service, other_id)
    assert mine["installedVersion"] == mine["version"] > other_before["installedVersion"]
    assert [b["type"] for b in mine["blocks"]][-1] == "math"
    assert theirs == other_before  # another user's installation did not change
    with api(service) as client:
        versions = client.get(
            f"/workflows/{mine['workflowId']}/versions", params={"userId": gregg_id}
        ).json()["data"]
    assert {v["versionId"]: v["userSpecific"] for v in versions}[version_id] is True

"""The ISV dashboard in a real Chromium: signed out it asks to sign in; a wrong password is
refused with the email kept; the right one opens Integrations → BigCommerce with its
Workflows tab; Sign out ends it. axe-core finds no violation on any page, at 1280 and
768 px, and no page scrolls sideways at 768 px."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.support.axe import no_axe_violations
from e2e.support.servers import Service
from tests.support.processes import CLI, REPO_ROOT, service_env

EMAIL = "ops@acme.test"
PASSWORD = "a long dashboard password"


@pytest.fixture
def staff_account(service: Service) -> str:
    """A staff account of AcmeCo, made with ``install-service admin create`` (password on stdin)."""
    env = service_env({"INSTALL_SERVICE_DATABASE_URL": service.database_url})
    done = subprocess.run(
        [str(CLI), "admin", "create", "--isv", service.isv_id, "--email", EMAIL],
        input=PASSWORD + "\n",
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 or "exists already" in done.stderr, done.stderr
    return EMAIL


@pytest.fixture
def dashboard(browser: Browser) -> Iterator[Page]:
    """A fresh browser at 1280 px; CSP bypassed only so that axe-core can be injected."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def fits_768(page: Page) -> None:
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate("document.documentElement.scrollWidth") <= 768, page.url
    no_axe_violations(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_sign_in_see_bigcommerce_workflows_and_sign_out(
    dashboard: Page, shot, service: Service, staff_account: str
) -> None:
    page = dashboard
    page.goto(f"{service.url}/dashboard")
    expect(page).to_have_url(f"{service.url}/dashboard/sign-in")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    no_axe_violations(page)
    fits_768(page)

    page.get_by_label("Email", exact=True).fill(staff_account)
    page.get_by_label("Password", exact=True).fill("not the right password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Email", exact=True)).to_have_value(staff_account)
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    shot(page, "wrong-password")
    no_axe_violations(page)

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{service.url}/dashboard/integrations")
    nav = page.get_by_role("navigation", name="Dashboard")
    expect(nav.get_by_role("link", name="Integrations")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Environment: Development")).to_be_visible()
    shot(page, "integrations")
    no_axe_violations(page)
    fits_768(page)

    page.get_by_role("link", name=re.compile(r"^BigCommerce")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("BigCommerce")
    tabs = page.get_by_role("navigation", name="BigCommerce sections")
    expect(tabs.get_by_role("link", name="Workflows")).to_have_attribute("aria-current", "page")
    expect(
        page.get_by_role("heading", name=re.compile("When a new order is created in BigCommerce"))
    ).to_be_visible()
    expect(page.get_by_role("cell", name="Released").first).to_be_visible()
    shot(page, "workflows-tab")
    no_axe_violations(page)
    fits_768(page)

    tabs.get_by_role("link", name="Installations").click()  # htmx swaps the tab in
    expect(tabs.get_by_role("link", name="Installations")).to_have_attribute("aria-current", "page")
    expect(page).to_have_url(re.compile(r"/installations$"))
    no_axe_violations(page)

    page.get_by_role("button", name="Switch to production").click()
    expect(page.get_by_text("Environment: Production")).to_be_visible()
    nav.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="environment.switch production")).to_be_visible()
    shot(page, "audit")
    no_axe_violations(page)
    fits_768(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{service.url}/dashboard/sign-in")
    page.goto(f"{service.url}/dashboard/integrations")
    expect(page).to_have_url(re.compile(r"/dashboard/sign-in\?next="))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

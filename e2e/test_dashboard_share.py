"""Share, Logs and Settings in a real Chromium: sign in, Integrations → BigCommerce →
Share → Share it with a new user → Email → Expiration Time → Generate Link; Copy says
"Copied"; the link opens the install page and the new end user is in GET /users. Logs
shows a failed execution with its block's error and reruns it; Settings refuses an unsafe
webhook URL beside its field and asks before a rotation. axe-core finds no violation on
any of these pages, nor on sign-in, Integrations, the integration page and the audit log;
the Share, Logs and Settings pages do not scroll sideways at 768 px."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.support.axe import no_axe_violations
from e2e.support.servers import GOOD_TOKEN, Service
from e2e.test_dashboard_sign_in import fits_768
from tests.support.processes import CLI, REPO_ROOT, service_env
from tests.support.runtime import FULFILLMENT_WORKFLOW

EMAIL = "share@acme.test"
PASSWORD = "a long dashboard password"
API = "/2023-12"


@pytest.fixture
def staff_account(service: Service) -> str:
    """A staff account of AcmeCo, made with ``install-service admin create``."""
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
def dashboard(browser: Browser, service: Service) -> Iterator[Page]:
    """A fresh browser that may use the clipboard; CSP bypassed only for axe-core."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=service.url)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _api(service: Service) -> httpx.Client:
    return httpx.Client(
        base_url=service.url, headers={"Authorization": f"Bearer {service.api_key}"}
    )


def _failed_run(service: Service, username: str) -> None:
    """``username`` installs the integration and sends an event whose BigCommerce call
    fails at once (a status BigCommerce has no name for): one failed execution, finished."""
    with _api(service) as api:
        user_id = api.post(f"{API}/users", json={"username": username}).json()["userId"]
        token = api.get(f"{API}/users/{user_id}/token").json()["token"]
        done = api.post(
            "/forge-install/install",
            data={
                "integrationId": service.integration_id,
                "storeHash": "abc123",
                "accessToken": GOOD_TOKEN,
            },
            headers={"x-alloy-user-token": token},
        )
        assert done.status_code == 200, done.text
        sent = api.post(
            f"{API}/run/event",
            json={
                "event": "Fulfillment Updated",
                "userId": user_id,
                "data": {"orderId": "7", "status": "LOST IN SPACE"},
            },
        )
        assert sent.status_code == 200, sent.text
        [execution_id] = sent.json()["executionIds"]
        workflows = api.get(f"{API}/workflows", params={"userId": user_id}).json()["data"]
        [workflow_id] = [w["workflowId"] for w in workflows if w["name"] == FULFILLMENT_WORKFLOW]

        def finished() -> bool:
            logs = api.get(f"{API}/workflows/{workflow_id}/logs", params={"userId": user_id})
            return any(
                e["executionId"] == execution_id and e["finished"] for e in logs.json()["data"]
            )

        deadline = time.monotonic() + 20
        while not finished():
            assert time.monotonic() < deadline, api.get(
                f"{API}/workflows/{workflow_id}/logs", params={"userId": user_id}
            ).text
            time.sleep(0.1)


def test_share_a_link_with_a_new_user_then_logs_and_settings(
    dashboard: Page, shot, service: Service, staff_account: str
) -> None:
    page = dashboard
    suffix = uuid.uuid4().hex[:8]
    existing = f"existing-{suffix}@shop.test"
    with _api(service) as api:
        assert api.post(f"{API}/users", json={"username": existing}).status_code == 201

    page.goto(f"{service.url}/dashboard")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    no_axe_violations(page)
    page.get_by_label("Email", exact=True).fill(staff_account)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{service.url}/dashboard/integrations")
    no_axe_violations(page)

    page.get_by_role("link", name=re.compile(r"^BigCommerce")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("BigCommerce")
    no_axe_violations(page)
    page.get_by_role("link", name="Share").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Share BigCommerce")
    page.get_by_label("Search users").fill(f"existing-{suffix}")  # htmx, as typed
    expect(page.get_by_role("radio", name=existing)).to_be_visible()
    expect(page.locator("#user-count")).to_have_text(re.compile(r"^1 user starting with"))
    shot(page, "share-search")
    no_axe_violations(page)

    page.get_by_label("Share it with a new user").check()
    expect(page.get_by_label("Search users")).to_be_hidden()
    page.get_by_label("Email", exact=True).fill(existing)
    page.get_by_role("button", name="Generate Link").click()
    expect(page.get_by_role("alert")).to_contain_text("already exists")
    expect(page.locator("#email-error")).to_contain_text("Share with an existing user")
    expect(page.get_by_label("Email", exact=True)).to_be_focused()
    shot(page, "share-refused")
    no_axe_violations(page)

    new_email = f"new-{suffix}@shop.test"
    page.get_by_label("Email", exact=True).fill(new_email)
    page.get_by_label("Expiration Time").fill("5")
    page.get_by_role("button", name="Generate Link").click()
    expect(page.get_by_role("heading", name=f"Link ready for {new_email}")).to_be_focused()
    expect(page.get_by_text("No email is sent")).to_be_visible()
    link = page.get_by_label("Install link").input_value()
    assert link.startswith(f"{service.url}/embedded-install?integrationId=")
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link
    shot(page, "share-link")
    fits_768(page)  # and axe at 768 px

    with _api(service) as api:
        usernames = [u["username"] for u in api.get(f"{API}/users").json()["data"]]
    assert new_email in usernames
    invited = page.context.new_page()
    invited.goto(link)
    expect(invited.get_by_role("heading", level=2)).to_contain_text("AcmeCo invites you to connect")
    invited.close()

    logs_user = f"logs-{suffix}"
    _failed_run(service, logs_user)
    nav = page.get_by_role("navigation", name="Dashboard")
    nav.get_by_role("link", name="Logs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logs")
    no_axe_violations(page)
    page.get_by_label("Workflow").select_option(label=FULFILLMENT_WORKFLOW)
    page.get_by_label("User", exact=True).fill(logs_user)
    page.get_by_role("button", name="Show logs").click()
    executions = page.get_by_role("table", name=re.compile("^Executions of"))
    expect(executions.get_by_text("Failed").first).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("^Latest failed executions"))).to_contain_text(
        "BigCommerce"
    )
    shot(page, "logs")
    fits_768(page)  # and axe at 768 px
    executions.get_by_role("button", name=re.compile("^Rerun execution")).first.click()
    expect(page.get_by_role("status")).to_contain_text("Rerun queued as execution")
    no_axe_violations(page)

    nav.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    fits_768(page)  # and axe at 768 px
    kept = page.get_by_label("Webhook URL", exact=True).input_value()
    page.get_by_label("Error webhook URL").fill("ftp://files.example.com/hook")
    page.get_by_role("button", name="Save webhook URLs").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed")
    expect(page.locator("#error_webhook_url-error")).to_be_visible()
    expect(page.get_by_label("Error webhook URL")).to_have_value("ftp://files.example.com/hook")
    expect(page.get_by_label("Webhook URL", exact=True)).to_have_value(kept)
    shot(page, "settings-refused")
    no_axe_violations(page)
    page.get_by_role("link", name="Rotate webhook secret").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rotate the webhook secret?")
    no_axe_violations(page)
    page.get_by_role("link", name="Cancel").click()  # the session's service is shared: no rotation
    page.get_by_role("link", name="Rotate production key").click()
    expect(page.get_by_role("button", name="Rotate production API key")).to_be_visible()
    no_axe_violations(page)

    nav.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="link.share development")).to_be_visible()
    expect(page.get_by_role("cell", name="execution.rerun development")).to_be_visible()
    no_axe_violations(page)

"""embedded.js's API calls in a real Chromium, from the ISV's page on another origin:
Alloy.getIntegrations / getWorkflows / deactivate / reactivate, on the default object and on
an ``Alloy()`` instance, against the real service (CORS, user token, JSON errors)."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from e2e.support.servers import GOOD_TOKEN, Service

DIALOG = "div[role=dialog][aria-modal=true]"

# Run one SDK call in the page; a rejection comes back as {"rejected": {...}}.
CALL = """async ([sdk, method, arg, token]) => {
  const alloy = sdk === 'instance' ? Alloy() : Alloy;
  if (token) alloy.setToken(token);
  try {
    return {resolved: await alloy[method](arg)};
  } catch (err) {
    return {rejected: {name: err.name, message: err.message, status: err.status ?? null, code: err.code ?? null}};
  }
}"""


def call(
    page: Page, method: str, arg: Any = None, *, token: str | None = None, sdk: str = "default"
) -> dict[str, Any]:
    return page.evaluate(CALL, [sdk, method, arg, token])


def install_in_the_modal(page: Page) -> None:
    page.click("#install")
    modal = page.frame_locator(f"{DIALOG} iframe")
    modal.get_by_label("Store hash").fill("abc123")
    modal.get_by_label("Access token").fill(GOOD_TOKEN)
    modal.get_by_role("button", name="Finish Installation").click()
    expect(modal.locator("#success-title")).to_contain_text("is installed")
    page.wait_for_function("window.RESULT && window.RESULT.success === true")


def active_by_workflow(page: Page, sdk: str = "default") -> dict[str, bool]:
    workflows = call(page, "getWorkflows", sdk=sdk)["resolved"]["data"]
    return {w["workflowId"]: w["active"] for w in workflows}


def test_list_install_deactivate_and_reactivate_from_the_isvs_page(
    page: Page, shot, service: Service
) -> None:
    user_id, token = service.new_user()
    page.goto(service.host_page(token))
    assert page.evaluate("location.origin") == service.host.origin != service.url

    [before] = call(page, "getIntegrations", token=token)["resolved"]["data"]
    assert before["integrationId"] == service.integration_id and before["installed"] is False
    install_in_the_modal(page)
    shot(page, "installed")

    [after] = call(page, "getIntegrations")["resolved"]["data"]
    assert after["installed"] is True and all(
        w["installed"] and w["active"] for w in after["workflows"]
    )
    first, second = active_by_workflow(page)
    assert call(page, "deactivate", {"workflowId": first}) == {"resolved": {"success": True}}
    assert active_by_workflow(page) == {first: False, second: True}

    assert call(page, "reactivate", {"workflowId": first}) == {"resolved": {"success": True}}
    assert active_by_workflow(page) == {first: True, second: True}

    # An independent instance has the same calls, with its own token.
    assert call(page, "deactivate", {"workflowId": second}, token=token, sdk="instance") == {
        "resolved": {"success": True}
    }
    listed = httpx.get(
        f"{service.url}/2023-12/workflows?userId={user_id}",
        headers={"Authorization": f"Bearer {service.api_key}"},
    )
    assert {w["workflowId"]: w["active"] for w in listed.json()["data"]} == {
        first: True,
        second: False,
    }


def test_errors_reject_with_the_services_json_error(page: Page, service: Service) -> None:
    _, token = service.new_user()
    page.goto(service.host_page(token))

    no_token = call(page, "getWorkflows", sdk="instance")["rejected"]
    assert "setToken" in no_token["message"] and no_token["status"] is None
    unknown = call(page, "deactivate", {"workflowId": "no-such-workflow"}, token=token)["rejected"]
    assert (unknown["status"], unknown["code"], unknown["message"]) == (
        404,
        "workflow_not_found",
        "Workflow not found",
    )
    missing = call(page, "reactivate", {})["rejected"]
    assert "workflowId is required" in missing["message"]
    bad = call(page, "getIntegrations", token=token[:-4] + "AAAA")["rejected"]
    assert (bad["status"], bad["code"]) == (401, "token_invalid")


def test_a_page_on_an_origin_the_isv_did_not_allow_gets_nothing(
    page: Page, service: Service
) -> None:
    user_id, token = service.new_user()
    page.goto(service.host_page(token))
    install_in_the_modal(page)
    workflow_id = next(iter(active_by_workflow(page)))

    page.goto(service.host_page(token).replace(service.host.origin, service.other_host.origin))
    for method, arg in (
        ("getIntegrations", None),
        ("getWorkflows", None),
        ("deactivate", {"workflowId": workflow_id}),
    ):
        refused = call(page, method, arg, token=token)["rejected"]
        assert refused["name"] == "TypeError" and refused["status"] is None, (
            method
        )  # blocked by CORS
    listed = httpx.get(
        f"{service.url}/2023-12/workflows?userId={user_id}",
        headers={"Authorization": f"Bearer {service.api_key}"},
    )
    assert all(w["active"] for w in listed.json()["data"] if w["installed"])

"""Updating an installed workflow in a real Chromium: the ISV releases a version with one new
configurable field, its page offers Update, and ``Alloy.update`` asks for that field only."""

from __future__ import annotations

import httpx
import yaml
from playwright.sync_api import Page, expect

from e2e.support.servers import Service
from e2e.test_modal_install import DIALOG, MODAL_FRAME, finish_installation, open_modal
from install_service.settings import PROJECT_ROOT

# Optional, because the e2e service (and its ISV) is shared: the browser tests that install
# after this one must not meet a new required field they do not know about.
REGION = {
    "name": "region",
    "label": "Region",
    "type": "select",
    "options": ["eu", "us"],
    "required": False,
}

# The ISV's own page: lists the user's workflows through the SDK, with an Update button
# wherever a newer version than the installed one is released.
UPDATES_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AcmeCo integrations</title></head>
<body>
  <h1>AcmeCo integrations</h1>
  <ul id="workflows"></ul>
  <script src="{service}/static/embedded.js"></script>
  <script>
    Alloy.setToken({token});
    function render() {
      return Alloy.getIntegrations().then(function (answer) {
        var list = document.getElementById('workflows');
        list.innerHTML = '';
        answer.data[0].workflows.forEach(function (w) {
          var item = document.createElement('li');
          item.setAttribute('data-workflow-id', w.workflowId);
          item.textContent = w.name + ' (v' + w.installedVersion + ') ';
          if (w.installed && w.version > w.installedVersion) {
            var button = document.createElement('button');
            button.type = 'button';
            button.textContent = 'Update to v' + w.version;
            button.addEventListener('click', function () {
              Alloy.update({workflowIds: [w.workflowId], callback: function (r) { window.RESULT = r; render(); }});
            });
            item.appendChild(button);
          }
          list.appendChild(item);
        });
      });
    }
    render();
  </script>
</body></html>
"""


def example_blocks(workflow_name: str) -> list[dict]:
    """The blocks of the example catalogue's workflow named ``workflow_name``."""
    catalog = yaml.safe_load((PROJECT_ROOT / "examples" / "acme-bigcommerce.yaml").read_text())
    workflows = [w for i in catalog["integrations"] for w in i["workflows"]]
    [found] = [w for w in workflows if w["name"] == workflow_name]
    return found["versions"][0]["blocks"] if "versions" in found else found["blocks"]


def release_version_with_region(service: Service, user_id: str) -> str:
    """Publish and release v2 of the user's first workflow, adding the Region field; its id."""
    api = httpx.Client(
        base_url=f"{service.url}/2023-12", headers={"Authorization": f"Bearer {service.api_key}"}
    )
    with api:
        workflow = api.get("/workflows", params={"userId": user_id}).json()["data"][0]
        [current] = api.get(f"/workflows/{workflow['workflowId']}/versions").json()["data"]
        blocks = example_blocks(workflow["name"])  # v1's own blocks (the listing shows less)
        made = api.post(
            f"/workflows/{workflow['workflowId']}/versions",
            json={"blocks": blocks, "configurableFields": [REGION]},
        )
        assert made.status_code == 201, made.text
        released = api.put(
            f"/workflows/{workflow['workflowId']}/versions/{made.json()['versionId']}/release"
        )
        assert released.status_code == 200, released.text
    assert current["version"] == 1
    return workflow["workflowId"]


def installed_versions(service: Service, user_id: str) -> dict[str, tuple[int, int]]:
    answer = httpx.get(
        f"{service.url}/2023-12/workflows",
        params={"userId": user_id},
        headers={"Authorization": f"Bearer {service.api_key}"},
    )
    return {w["workflowId"]: (w["installedVersion"], w["version"]) for w in answer.json()["data"]}


def test_update_asks_only_for_the_new_field(page: Page, shot, service: Service) -> None:
    user_id, token = service.new_user()
    finish_installation(open_modal(page, service, token))
    workflow_id = release_version_with_region(service, user_id)
    service.host.pages["updates"] = UPDATES_PAGE

    page.goto(f"{service.host.origin}/page/updates?token={token}")
    updatable = page.locator(f"li[data-workflow-id='{workflow_id}']")
    expect(updatable.get_by_role("button", name="Update to v2")).to_be_visible()
    expect(page.get_by_role("button", name="Update to v2")).to_have_count(
        1
    )  # only the changed workflow
    shot(page, "update-offered")

    updatable.get_by_role("button", name="Update to v2").click()
    modal = page.frame_locator(MODAL_FRAME)
    expect(modal.get_by_label("Region")).to_be_visible()
    expect(modal.get_by_label("Access token")).to_have_count(0)  # the connection carries over
    expect(modal.get_by_label("Store hash")).to_have_count(0)
    expect(modal.locator("#install-form")).to_contain_text("keeps running until you finish")
    assert installed_versions(service, user_id)[workflow_id] == (1, 2)  # old version still live
    shot(page, "asks-region-only")

    modal.get_by_label("Region").select_option("eu")
    modal.get_by_role("button", name="Finish Installation").click()
    expect(modal.locator("#success-title")).to_contain_text("is updated")
    shot(page, "updated")
    modal.get_by_role("button", name="Done").click()
    expect(page.locator(DIALOG)).to_have_count(0)

    expect(page.get_by_role("button", name="Update to v2")).to_have_count(
        0
    )  # re-rendered by the callback
    assert page.evaluate("window.RESULT.success") is True
    assert installed_versions(service, user_id)[workflow_id] == (2, 2)
    shot(page, "up-to-date")

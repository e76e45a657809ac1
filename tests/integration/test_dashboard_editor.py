"""The workflow editor of the dashboard's Installation Manager, as ISV staff use it:
Create a new user-specific version (and the question when a draft exists), Add block,
edit, move and remove blocks, expressions checked as typed and refused on save with what
was typed kept, Release user-specific version for that user only (at once, or waiting for
Alloy.update when it needs their configuration), each change in the audit log."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from install_service.db.config import sqlalchemy_config
from install_service.db.models import WorkflowVersion
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.dashboard import csrf_token, page_token, post_form, signed_in
from tests.support.html import by_id, visible_text
from tests.support.workflows import BASE, REGION, installed_user, versions_of, workflows_of

pytestmark = pytest.mark.usefixtures("backend")

FULFILLMENT = (
    "When a fulfillment status is updated in AcmeCo, update the order status in BigCommerce"
)
MATH = {"type": "math", "name": "Tax", "expression": "event.total * 0.05"}


@pytest.fixture
async def dash(client: AsyncTestClient, settings: Settings, isv: IsvFixture) -> AsyncTestClient:
    return await signed_in(client, settings, isv.isv_id, "ann@acme.test")


class Editing:
    """One user's fulfillment workflow in the editor: its paths and the API's view."""

    def __init__(self, client: AsyncTestClient, isv: IsvFixture, user_id: str, workflow_id: str):
        self.client, self.isv, self.user_id, self.workflow_id = client, isv, user_id, workflow_id
        self.landing = ""
        self.version = ""  # the open draft's page

    async def open(self) -> Editing:
        listing = await self.client.get(
            f"/dashboard/integrations/{self.isv.integration_id}/installations"
        )
        username = (
            await self.client.get(f"{BASE}/users/{self.user_id}", headers=self.isv.headers)
        ).json()["username"]
        installation = re.search(rf'<a href="([^"]+)">{username}</a>', listing.text).group(1)
        self.landing = f"{installation}/workflows/{self.workflow_id}"
        return self

    async def token(self, path: str | None = None) -> str:
        return await page_token(self.client, path or self.version or self.landing)

    async def create(self, **form: str):
        return await post_form(
            self.client, f"{self.landing}/versions", form, await self.token(self.landing)
        )

    async def post(self, path: str, form: dict[str, str]):
        return await post_form(self.client, f"{self.version}{path}", form, await self.token())

    async def installed(self, user_id: str | None = None) -> dict[str, Any]:
        """The workflow as ``GET /integrations?userId=`` shows it."""
        answer = await self.client.get(
            f"{BASE}/integrations",
            params={"userId": user_id or self.user_id},
            headers=self.isv.headers,
        )
        assert answer.status_code == 200, answer.text
        [integration] = [
            i for i in answer.json()["data"] if i["integrationId"] == self.isv.integration_id
        ]
        return next(w for w in integration["workflows"] if w["workflowId"] == self.workflow_id)


async def fulfillment(client: AsyncTestClient, isv: IsvFixture, username: str) -> Editing:
    user_id = await installed_user(client, isv, username)
    workflows = await workflows_of(client, isv, user_id)
    workflow_id = next(w for w, info in workflows.items() if info["name"] == FULFILLMENT)
    return await Editing(client, isv, user_id, workflow_id).open()


async def stored_blocks(settings: Settings, version_path: str) -> list[dict[str, Any]]:
    version_id = version_path.rsplit("/", 1)[1]
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            return await session.scalar(
                select(WorkflowVersion.blocks).where(WorkflowVersion.id == version_id)
            )
    finally:
        await config.get_engine().dispose()


def block_names(html: str) -> list[str]:
    return [m for m in re.findall(r'class="block-name" id="block-[^"]+-name">([^<]+)<', html)]


async def test_create_a_user_specific_version_and_the_question_when_a_draft_exists(
    dash: AsyncTestClient, isv: IsvFixture
) -> None:
    editing = await fulfillment(dash, isv, "gregg")
    landing = await dash.get(editing.landing)
    assert landing.status_code == 200
    assert "Create a new user-specific version" in landing.text
    assert "gregg runs v1" in visible_text(landing.text)

    created = await editing.create()
    assert created.status_code == 303
    editing.version = created.headers["location"]
    page = await dash.get(editing.version)
    assert "User-specific version v2 Draft" in visible_text(page.text)
    assert block_names(page.text) == ["Custom Event", "BigCommerce"]  # a copy of v1
    assert [
        (v["version"], v["status"], v["userSpecific"])
        for v in await versions_of(dash, isv, editing.workflow_id, editing.user_id)
    ] == [
        (1, "released", False),
        (2, "draft", True),
    ]

    asked = await editing.create()  # a draft exists: ask first, make nothing
    assert asked.status_code == 200
    assert "gregg already has a draft" in visible_text(asked.text)
    assert f'href="{editing.version}">Finish the existing draft</a>' in asked.text
    assert "Create another new version" in asked.text
    assert len(await versions_of(dash, isv, editing.workflow_id, editing.user_id)) == 2

    another = await post_form(
        dash, f"{editing.landing}/versions", {"another": "yes"}, csrf_token(asked.text)
    )
    assert another.status_code == 303 and another.headers["location"] != editing.version
    assert [
        v["version"] for v in await versions_of(dash, isv, editing.workflow_id, editing.user_id)
    ] == [1, 2, 3]
    assert "version.create" in visible_text((await dash.get("/dashboard/audit")).text)


async def test_add_edit_move_and_remove_blocks(
    dash: AsyncTestClient, isv: IsvFixture, settings: Settings
) -> None:
    editing = await fulfillment(dash, isv, "gregg")
    editing.version = (await editing.create()).headers["location"]

    form = await dash.get(f"{editing.version}/blocks/new")
    select_ = by_id(form.text, "block-type")
    assert select_.attrs["name"] == "type"
    options = re.findall(r'<option value="[^"]+"(?: selected)?>([^<]+)</option>', form.text)
    assert options == [
        "Math",
        "Data Mapping",
        "Filter",
        "Stream Data",
        "App action",
        "SQL destination",
    ]
    assert '<label for="field-expression">Expression</label>' in form.text

    fields = await dash.get(
        f"{editing.version}/blocks/new",
        params={"type": "filter", "name": "Kept"},
        headers={"HX-Request": "true"},
    )
    assert (
        "<html" not in fields.text
        and '<label for="field-condition">Condition</label>' in fields.text
    )
    assert by_id(fields.text, "block-name").attrs["value"] == "Kept"

    chosen = await editing.post(  # without JavaScript: "Show fields for this type"
        "/blocks", {"type": "filter", "name": "Kept", "intent": "choose"}
    )
    assert chosen.status_code == 200
    assert '<label for="field-condition">Condition</label>' in chosen.text
    assert by_id(chosen.text, "block-name").attrs["value"] == "Kept"
    assert len(await stored_blocks(settings, editing.version)) == 2  # nothing stored

    added = await editing.post("/blocks", MATH)
    assert (added.status_code, added.headers["location"]) == (303, f"{editing.version}#blocks")
    page = await dash.get(editing.version)
    assert block_names(page.text) == ["Custom Event", "BigCommerce", "Tax"]
    assert "event.total * 0.05" in page.text
    stored = await stored_blocks(settings, editing.version)
    assert stored[-1] == {
        "id": "tax",
        "type": "math",
        "name": "Tax",
        "expression": "event.total * 0.05",
    }

    edit = await dash.get(f"{editing.version}/blocks/tax/edit")
    assert by_id(edit.text, "field-expression").attrs["value"] == "event.total * 0.05"
    saved = await editing.post(
        "/blocks/tax", {**MATH, "name": "Tax 7%", "expression": "event.total * 0.07"}
    )
    assert saved.status_code == 303
    assert (await stored_blocks(settings, editing.version))[-1][
        "expression"
    ] == "event.total * 0.07"

    app_action = await dash.get(f"{editing.version}/blocks/update-order-status/edit")
    assert '<option value="update order status" selected>' in app_action.text
    assert "{{ event.orderId }}" in by_id(app_action.text, "field-mapping").text

    up = await editing.post("/blocks/tax/move", {"direction": "up"})
    assert up.status_code == 303
    assert block_names((await dash.get(editing.version)).text) == [
        "Custom Event",
        "Tax 7%",
        "BigCommerce",
    ]
    refused = await editing.post("/blocks/tax/move", {"direction": "up"})  # above the trigger
    assert refused.status_code == 422
    assert "the first block must be a trigger" in visible_text(refused.text)
    await editing.post("/blocks/tax/move", {"direction": "down"})
    assert [b["id"] for b in await stored_blocks(settings, editing.version)] == [
        "custom-event",
        "update-order-status",
        "tax",
    ]

    removed = await editing.post("/blocks/update-order-status/remove", {})
    assert removed.status_code == 303
    assert block_names((await dash.get(editing.version)).text) == ["Custom Event", "Tax 7%"]

    audit = visible_text((await dash.get("/dashboard/audit")).text)
    for action in (
        "version.block_add",
        "version.block_edit",
        "version.block_move",
        "version.block_remove",
    ):
        assert action in audit


async def test_an_invalid_expression_is_refused_with_its_message_and_nothing_stored(
    dash: AsyncTestClient, isv: IsvFixture, settings: Settings
) -> None:
    editing = await fulfillment(dash, isv, "gregg")
    editing.version = (await editing.create()).headers["location"]
    before = await stored_blocks(settings, editing.version)

    typed = await dash.get(
        "/dashboard/editor/check/expression",
        params={"expression": "event.total *"},
        headers={"HX-Request": "true"},
    )
    assert typed.status_code == 200 and "This expression does not parse" in typed.text
    fine = await dash.get(
        "/dashboard/editor/check/expression", params={"expression": "event.total * 2"}
    )
    assert fine.text.strip() == ""
    form = await dash.get(f"{editing.version}/blocks/new")
    expression = by_id(form.text, "field-expression")
    assert expression.attrs["hx-get"] == "/dashboard/editor/check/expression"
    assert expression.attrs["hx-target"] == "#expression-error"
    assert "expression-error" in expression.attrs["aria-describedby"]
    assert by_id(form.text, "expression-error").attrs["aria-live"] == "polite"

    refused = await editing.post(
        "/blocks", {**MATH, "name": "Tax for Gregg", "expression": "event.total *"}
    )

    assert refused.status_code == 422
    field = by_id(refused.text, "field-expression")
    assert field.attrs["value"] == "event.total *"  # nothing typed is lost
    assert field.attrs["aria-invalid"] == "true"
    assert "This expression does not parse" in by_id(refused.text, "expression-error").text
    assert by_id(refused.text, "block-name").attrs["value"] == "Tax for Gregg"
    assert by_id(refused.text, "block-form-errors").attrs["role"] == "alert"
    assert await stored_blocks(settings, editing.version) == before

    mapping = await editing.post(
        "/blocks",
        {"type": "dataMapping", "name": "Map", "mapping": '{"total": "{{ event.total +"}'},
    )
    assert mapping.status_code == 422
    assert "mapping.total" in by_id(mapping.text, "mapping-error").text
    assert (
        "{&#34;total&#34;: &#34;{{ event.total +&#34;}" in mapping.text
        or "{{ event.total +" in visible_text(mapping.text)
    )
    assert await stored_blocks(settings, editing.version) == before


async def test_release_moves_only_that_users_installed_version(
    dash: AsyncTestClient, isv: IsvFixture
) -> None:
    editing = await fulfillment(dash, isv, "gregg")
    other = await fulfillment(dash, isv, "bob")
    editing.version = (await editing.create()).headers["location"]
    await editing.post("/blocks", MATH)

    released = await editing.post("/release", {})

    assert released.status_code == 200
    assert "v2 is live for gregg." in by_id(released.text, "release-result").text
    mine, theirs = await editing.installed(), await other.installed()
    assert (mine["installedVersion"], mine["version"]) == (2, 2)
    assert [b["type"] for b in mine["blocks"]] == ["customEvent", "appAction", "math"]
    assert (theirs["installedVersion"], theirs["version"]) == (1, 1)
    assert "version.release" in visible_text((await dash.get("/dashboard/audit")).text)
    for again in (
        await editing.post("/release", {}),
        await editing.post("/blocks", MATH),
        await editing.post("/blocks/tax/remove", {}),
    ):
        assert again.status_code == 409  # released versions never change
    assert [b["type"] for b in (await editing.installed())["blocks"]][-1] == "math"


async def test_a_release_that_needs_the_users_configuration_keeps_their_version_live(
    dash: AsyncTestClient, isv: IsvFixture
) -> None:
    editing = await fulfillment(dash, isv, "gregg")
    editing.version = (await editing.create()).headers["location"]
    version_id = editing.version.rsplit("/", 1)[1]
    asked = await dash.patch(
        f"{BASE}/workflows/{editing.workflow_id}/versions/{version_id}",
        json={"configurableFields": [REGION]},
        headers=isv.headers,
    )
    assert asked.status_code == 200, asked.text

    released = await editing.post("/release", {})

    result = by_id(released.text, "release-result").text
    assert "needs gregg's configuration" in result and "new configurable field 'region'" in result
    assert "v1 stays live" in result
    assert by_id(released.text, "release-version-id").text == version_id
    assert f"versionIds: [&#34;{version_id}&#34;]" in released.text or version_id in result
    mine = await editing.installed()
    assert (mine["installedVersion"], mine["version"]) == (1, 2)

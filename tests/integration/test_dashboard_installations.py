"""The Installations tab's search and an installation's detail page, as ISV staff use them:
usernames found by prefix (full page without JavaScript, results alone for htmx), each user
opening their installation with its workflows, versions, logs link and the activate /
deactivate switch (audit-logged, the API agreeing), and another ISV's ids as a 404 page."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.dashboard import page_token, post_form, signed_in
from tests.support.html import Element, by_id, has_id, visible_text
from tests.support.workflows import installed_user, workflows_of

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
async def dash(client: AsyncTestClient, settings: Settings, isv: IsvFixture) -> AsyncTestClient:
    return await signed_in(client, settings, isv.isv_id, "ann@acme.test")


def tab(isv: IsvFixture) -> str:
    return f"/dashboard/integrations/{isv.integration_id}/installations"


def listed_users(html: str) -> list[str]:
    results = by_id(html, "installation-results").text
    return [name for name in ("gregg", "greta", "bob", "Gregory") if f"{name} " in results + " "]


async def test_search_finds_usernames_starting_with_what_is_typed(
    dash: AsyncTestClient, isv: IsvFixture
) -> None:
    for name in ("gregg", "bob", "greta", "Gregory"):
        await installed_user(dash, isv, name)

    everyone = await dash.get(tab(isv))
    assert listed_users(everyone.text) == ["gregg", "greta", "bob", "Gregory"]
    search = by_id(everyone.text, "username-search")
    assert search.attrs["hx-trigger"] == "input changed delay:300ms, search"
    assert search.attrs["hx-get"] == tab(isv) and search.attrs["name"] == "username"

    plain = await dash.get(tab(isv), params={"username": "gre"})  # the form, without JS
    assert plain.status_code == 200 and "<html" in plain.text
    assert listed_users(plain.text) == ["gregg", "greta"]  # case-sensitive: not Gregory
    assert by_id(plain.text, "username-search").attrs["value"] == "gre"
    assert "2 installations with a username starting “gre”" in visible_text(plain.text)

    typed = await dash.get(
        tab(isv),
        params={"username": "greg"},
        headers={"HX-Request": "true", "HX-Target": "installation-results"},
    )
    assert typed.status_code == 200 and "<html" not in typed.text
    assert not has_id(typed.text, "username-search")  # the field keeps its focus and text
    assert listed_users(typed.text) == ["gregg"]
    count = by_id(typed.text, "installation-count")
    assert (count.attrs["role"], count.attrs["hx-swap-oob"]) == ("status", "innerHTML")

    nobody = await dash.get(tab(isv), params={"username": "zed"})
    assert "No username starts with “zed”." in visible_text(nobody.text)


async def test_each_user_opens_their_installation_with_its_workflows(
    dash: AsyncTestClient, isv: IsvFixture
) -> None:
    user_id = await installed_user(dash, isv, "gregg")
    listing = await dash.get(tab(isv))
    link = next(a for a in _links(listing.text) if a.text == "gregg")

    detail = await dash.get(link.attrs["href"])

    assert detail.status_code == 200
    assert "<h1>gregg</h1>" in detail.text
    text = visible_text(detail.text)
    assert user_id in text
    for workflow_id, workflow in (await workflows_of(dash, isv, user_id)).items():
        row = by_id(detail.text, f"workflow-{workflow_id}").text
        assert workflow["name"] in row and "v1" in row and "Active" in row
        editor = f"{link.attrs['href']}/workflows/{workflow_id}"
        assert f'href="{editor}"' in detail.text
        assert (
            f'href="/dashboard/logs?workflowId={workflow_id}&amp;userId={user_id}"' in detail.text
        )


async def test_deactivate_and_activate_change_the_users_workflow_and_the_audit_log(
    dash: AsyncTestClient, isv: IsvFixture
) -> None:
    user_id = await installed_user(dash, isv, "gregg")
    other_id = await installed_user(dash, isv, "bob")
    workflow_id = next(iter(await workflows_of(dash, isv, user_id)))
    installation = await _installation_path(dash, isv, "gregg")
    token = await page_token(dash, installation)
    toggle = f"{installation}/workflows/{workflow_id}/active"

    off = await post_form(dash, toggle, {"active": "false"}, token)
    assert (off.status_code, off.headers["location"]) == (303, installation)
    assert (await workflows_of(dash, isv, user_id))[workflow_id]["active"] is False
    assert (await workflows_of(dash, isv, other_id))[workflow_id]["active"] is True
    row = by_id((await dash.get(installation)).text, f"workflow-{workflow_id}").text
    assert "Inactive" in row and "Activate" in row

    on = await dash.post(
        toggle,
        data={"active": "true"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert on.status_code == 200 and "<html" not in on.text
    assert by_id(on.text, "workflow-change").text.endswith("is now active.")
    assert (await workflows_of(dash, isv, user_id))[workflow_id]["active"] is True

    audit = visible_text((await dash.get("/dashboard/audit")).text)
    assert "workflow.activate development" in audit
    assert "workflow.deactivate development" in audit
    assert '"active": false' in audit and user_id in audit

    refused = await dash.post(toggle, data={"active": "false"})  # no CSRF token
    assert refused.status_code == 403
    assert (await workflows_of(dash, isv, user_id))[workflow_id]["active"] is True


async def test_another_isvs_installation_answers_a_404_page(
    client: AsyncTestClient, settings: Settings, isv: IsvFixture, other_isv: IsvFixture
) -> None:
    their_user = await installed_user(client, other_isv, "theirs")
    workflow_id = next(iter(await workflows_of(client, other_isv, their_user)))
    await signed_in(client, settings, other_isv.isv_id, "olga@other.test")
    theirs = await _installation_path(client, other_isv, "theirs")
    their_workflow = f"{theirs}/workflows/{workflow_id}"
    assert (await client.get(their_workflow)).status_code == 200  # theirs to see
    await post_form(client, "/dashboard/sign-out", {}, await page_token(client, theirs))

    await signed_in(client, settings, isv.isv_id, "ann@acme.test")
    token = await page_token(client, "/dashboard/integrations")
    for response in (
        await client.get(theirs),
        await client.get(their_workflow),
        await post_form(client, f"{their_workflow}/active", {"active": "false"}, token),
        await post_form(client, f"{their_workflow}/versions", {}, token),
        await client.get("/dashboard/installations/not-an-id"),
    ):
        assert response.status_code == 404, response.request.url
        assert "That page does not exist, or belongs to another account." in response.text
        assert "theirs" not in response.text
    assert (await workflows_of(client, other_isv, their_user))[workflow_id]["active"] is True


def _links(html: str) -> list[Element]:
    return [
        Element("a", {"href": href}, text)
        for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', html)
    ]


async def _installation_path(client: AsyncTestClient, isv: IsvFixture, username: str) -> str:
    listing = await client.get(tab(isv), params={"username": username})
    return next(a.attrs["href"] for a in _links(listing.text) if a.text == username)


async def test_the_other_environments_installation_answers_a_404_page(
    dash: AsyncTestClient, isv: IsvFixture
) -> None:
    await installed_user(dash, isv, "gregg")  # a development user
    installation = await _installation_path(dash, isv, "gregg")
    token = await page_token(dash, installation)
    await post_form(
        dash, "/dashboard/environment", {"environment": "production", "next": installation}, token
    )

    response = await dash.get(installation)

    assert response.status_code == 404
    assert "gregg" not in response.text

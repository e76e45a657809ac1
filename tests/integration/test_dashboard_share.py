"""Share on an integration's page, as ISV staff use it: a new end user from an email or an
existing one found by username prefix, an Expiration Time in days, and the single-use Alloy
Link the API makes; refusals change nothing; another ISV's ids are a 404; signed out, the
sign-in page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import AsyncTestClient

from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.dashboard import page_token, post_form
from tests.support.dashboard_pages import audit_actions, signed_in
from tests.support.html import by_id, visible_text
from tests.support.installs import new_user

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
async def dash(client: AsyncTestClient, settings: Settings, isv: IsvFixture) -> AsyncTestClient:
    return await signed_in(client, settings, isv, "sam@acme.test")


def _share(isv: IsvFixture) -> str:
    return f"/dashboard/integrations/{isv.integration_id}/share"


async def _usernames(client: AsyncTestClient, isv: IsvFixture) -> list[str]:
    users = await client.get("/2023-12/users", headers=isv.headers)
    return [u["username"] for u in users.json()["data"]]


async def test_share_with_a_new_user_makes_the_user_and_a_link_that_opens_the_install_page(
    dash: AsyncTestClient, isv: IsvFixture, database_url: str
) -> None:
    integration = await dash.get(f"/dashboard/integrations/{isv.integration_id}")
    assert f'href="{_share(isv)}">Share</a>' in integration.text
    form = await dash.get(_share(isv))
    assert form.status_code == 200
    text = visible_text(form.text)
    assert "Share with an existing user" in text and "Share it with a new user" in text
    assert by_id(form.text, "days").attrs["value"] == "7"

    token = await page_token(dash, _share(isv))
    made = await post_form(
        dash, _share(isv), {"mode": "new", "email": " Nora@Shop.test ", "days": "3"}, token
    )

    assert made.status_code == 200, made.text
    link = by_id(made.text, "share-link").attrs["value"]
    assert link.startswith("http://testserver.local/embedded-install?")
    assert "No email is sent" in visible_text(made.text)
    assert "nora@shop.test" in await _usernames(dash, isv)
    expires = by_id(made.text, "share-note").text
    assert (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d") in expires
    query = parse_qs(urlsplit(link).query)
    assert query["integrationId"] == [isv.integration_id]
    opened = await dash.get(f"/embedded-install?{urlsplit(link).query}")
    assert opened.status_code == 200
    assert "AcmeCo" in visible_text(opened.text)
    actions = [a["action"] for a in await audit_actions(database_url)]
    assert actions[-2:] == ["user.create", "link.share"]


async def test_share_with_an_existing_user_found_by_username_prefix(
    dash: AsyncTestClient, isv: IsvFixture
) -> None:
    alice_id, _ = await new_user(dash, isv, "alice@shop.test")
    await new_user(dash, isv, "bob@shop.test")

    found = await dash.get(_share(isv), params={"q": "AL"}, headers={"HX-Request": "true"})
    assert found.status_code == 200
    assert "<html" not in found.text
    text = visible_text(found.text)
    assert "alice@shop.test" in text and "bob@shop.test" not in text
    assert "1 user starting with “AL”." in text  # into the live region, out of band
    assert 'hx-swap-oob="innerHTML"' in found.text

    token = await page_token(dash, _share(isv))
    made = await dash.post(
        _share(isv),
        data={"mode": "existing", "user_id": alice_id, "days": "7", "_csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert made.status_code == 200, made.text
    assert "<html" not in made.text and by_id(made.text, "share-panel").tag == "section"
    assert "Link ready for alice@shop.test" in visible_text(made.text)
    assert (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%d") in made.text
    assert await _usernames(dash, isv) == ["alice@shop.test", "bob@shop.test"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"mode": "new", "email": "not-an-email", "days": "7"}, "Enter an email address"),
        ({"mode": "new", "email": "taken@shop.test", "days": "7"}, "already exists"),
        ({"mode": "new", "email": "ok@shop.test", "days": "0"}, "from 1 to 30"),
        ({"mode": "new", "email": "ok@shop.test", "days": "31"}, "from 1 to 30"),
        ({"mode": "new", "email": "ok@shop.test", "days": "soon"}, "from 1 to 30"),
        ({"mode": "existing", "days": "7"}, "Choose a user"),
    ],
)
async def test_a_refused_share_says_why_beside_the_field_and_creates_nothing(
    dash: AsyncTestClient, isv: IsvFixture, database_url: str, form: dict, message: str
) -> None:
    await new_user(dash, isv, "taken@shop.test")
    before = await audit_actions(database_url)
    token = await page_token(dash, _share(isv))

    refused = await post_form(dash, _share(isv), form, token)

    assert refused.status_code == 422
    assert message in by_id(refused.text, "share-error").text
    assert 'aria-invalid="true"' in refused.text or "Choose a user" in refused.text
    if form.get("email"):
        assert by_id(refused.text, "email").attrs["value"] == form["email"]  # kept
    if message == "already exists":
        assert "Share with an existing user" in by_id(refused.text, "email-error").text
    assert "share-link" not in refused.text
    assert await _usernames(dash, isv) == ["taken@shop.test"]
    assert await audit_actions(database_url) == before


async def test_another_isvs_integration_or_user_is_a_404_and_signed_out_asks_to_sign_in(
    client: AsyncTestClient, settings: Settings, isv: IsvFixture, other_isv: IsvFixture
) -> None:
    client.follow_redirects = False
    signed_out = await client.get(_share(isv))
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/dashboard/sign-in?next=")
    token = await page_token(client)
    posted = await post_form(client, _share(isv), {"mode": "new", "email": "x@y.test"}, token)
    assert (posted.status_code, posted.headers["location"]) == (303, "/dashboard/sign-in")

    dash = await signed_in(client, settings, isv, "sam@acme.test")
    assert (await dash.get(_share(other_isv))).status_code == 404
    other_user, _ = await new_user(dash, other_isv, "theirs@shop.test")
    token = await page_token(dash, _share(isv))
    for path, form in (
        (_share(other_isv), {"mode": "new", "email": "x@y.test", "days": "7"}),
        (_share(isv), {"mode": "existing", "user_id": other_user, "days": "7"}),
    ):
        refused = await post_form(dash, path, form, token)
        assert refused.status_code == 404, path
        assert "belongs to another account" in refused.text
    assert await _usernames(dash, isv) == []

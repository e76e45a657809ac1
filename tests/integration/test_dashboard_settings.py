"""Settings as ISV staff use it: webhook URLs behind the API's SSRF guard (a refusal is
shown beside its field, keeps what was typed and changes nothing), allowed origins added
and removed, the webhook secret and the API keys rotated after a confirmation step and
shown once, webhook deliveries redelivered; all in the audit log, none of it with a
secret; another ISV's delivery is a 404; signed out, the sign-in page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from install_service.app import create_app
from install_service.settings import Settings
from tests.conftest import IsvFixture, make_isv
from tests.support.dashboard import page_token, post_form
from tests.support.dashboard_pages import audit_actions, signed_in
from tests.support.db_rows import rows
from tests.support.html import by_id, visible_text
from tests.support.receiver import Receiver
from tests.support.workflows import installed_user

pytestmark = pytest.mark.usefixtures("backend")

HOME = "/dashboard/settings"
API_SETTINGS = "/2023-12/webhooks/settings"
GLOBAL = "https://93.184.215.14"  # a global address: allowed with the guard on, no DNS needed


@pytest.fixture
async def dash(client: AsyncTestClient, settings: Settings, isv: IsvFixture) -> AsyncTestClient:
    return await signed_in(client, settings, isv, "sam@acme.test")


@pytest.fixture
async def guarded(settings: Settings, isv: IsvFixture) -> AsyncIterator[AsyncTestClient]:
    """Signed in to a service whose SSRF guard is on (no private webhook addresses)."""
    app = create_app(replace(settings, webhook_allow_private=False))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield await signed_in(client, settings, isv, "sam@acme.test")


async def _isv_row(database_url: str, isv: IsvFixture) -> dict:
    [row] = await rows(
        database_url,
        "SELECT webhook_url, error_webhook_url, webhook_secret FROM isv WHERE name = 'AcmeCo'",
    )
    return row


async def test_webhook_urls_are_saved_and_an_unsafe_one_is_refused_beside_its_field(
    guarded: AsyncTestClient, isv: IsvFixture, database_url: str
) -> None:
    token = await page_token(guarded, HOME)
    saved = await post_form(
        guarded,
        f"{HOME}/webhooks",
        {"webhook_url": f"{GLOBAL}/hooks?t=abc", "error_webhook_url": ""},
        token,
    )
    assert (saved.status_code, saved.headers["location"]) == (303, f"{HOME}?done=webhook_urls")
    page = await guarded.get(saved.headers["location"])
    assert by_id(page.text, "settings-done").text == "Webhook URLs saved."
    assert by_id(page.text, "webhook_url").attrs["value"] == f"{GLOBAL}/hooks?t=abc"
    api = (await guarded.get(API_SETTINGS, headers=isv.headers)).json()
    assert api == {"webhookUrl": f"{GLOBAL}/hooks?t=abc", "errorWebhookUrl": None}
    [entry] = await rows(
        database_url, "SELECT after_ids FROM audit_entry WHERE action = 'webhook_urls.update'"
    )
    assert "t=abc" not in str(entry)  # origins only: a path or query may hold a token
    before = await audit_actions(database_url)

    for typed, field in (
        ({"webhook_url": "http://127.0.0.1:9/hook", "error_webhook_url": ""}, "webhook_url"),
        (
            {"webhook_url": f"{GLOBAL}/new", "error_webhook_url": "http://169.254.169.254/x"},
            "error_webhook_url",
        ),
        ({"webhook_url": "ftp://files.example.com/", "error_webhook_url": ""}, "webhook_url"),
    ):
        refused = await post_form(guarded, f"{HOME}/webhooks", typed, token)
        assert refused.status_code == 422, typed
        assert "Nothing was changed" in by_id(refused.text, "settings-error").text
        assert by_id(refused.text, f"{field}-error").text, typed
        assert by_id(refused.text, field).attrs["aria-invalid"] == "true"
        for key, value in typed.items():
            assert by_id(refused.text, key).attrs["value"] == value  # kept as typed
        assert (await guarded.get(API_SETTINGS, headers=isv.headers)).json() == api
    assert await audit_actions(database_url) == before


async def test_allowed_origins_are_added_normalised_and_removed(
    dash: AsyncTestClient, database_url: str
) -> None:
    token = await page_token(dash, HOME)
    added = await post_form(dash, f"{HOME}/origins", {"origin": "https://App.Example.com/"}, token)
    assert added.status_code == 303
    page = await dash.get(HOME)
    assert "https://app.example.com" in visible_text(page.text)

    refused = await post_form(dash, f"{HOME}/origins", {"origin": "app.example.com/path"}, token)
    assert refused.status_code == 422
    assert "is not an origin" in by_id(refused.text, "origin-error").text
    assert by_id(refused.text, "origin").attrs["value"] == "app.example.com/path"

    removed = await post_form(
        dash, f"{HOME}/origins/remove", {"origin": "https://app.example.com"}, token
    )
    assert removed.status_code == 303
    assert "https://app.example.com" not in visible_text((await dash.get(HOME)).text)
    origins = await rows(database_url, "SELECT origin FROM isv_allowed_origin")
    assert {"origin": "https://app.example.com"} not in origins
    actions = [a["action"] for a in await audit_actions(database_url)]
    assert actions[-2:] == ["allowed_origin.add", "allowed_origin.remove"]


async def test_rotations_ask_first_and_show_the_new_secret_and_key_once(
    dash: AsyncTestClient, isv: IsvFixture, database_url: str
) -> None:
    page = await dash.get(HOME)
    assert by_id(page.text, "keys-title").text == "API keys"
    confirm = await dash.get(f"{HOME}/webhook-secret/rotate")
    assert confirm.status_code == 200
    assert "keeps signing beside it for 24 hours" in visible_text(confirm.text)
    assert (await _isv_row(database_url, isv))["webhook_secret"] == isv.webhook_secret

    token = await page_token(dash, f"{HOME}/webhook-secret/rotate")
    rotated = await post_form(dash, f"{HOME}/webhook-secret/rotate", {}, token)
    assert rotated.status_code == 200
    secret = by_id(rotated.text, "new-secret").attrs["value"]
    assert secret.startswith("whsec_") and secret != isv.webhook_secret
    assert (await _isv_row(database_url, isv))["webhook_secret"] == secret
    assert secret not in (await dash.get(HOME)).text  # shown once

    confirm = await dash.get(f"{HOME}/api-keys/development/rotate")
    assert "stops working at once" in visible_text(confirm.text)
    assert (await dash.get("/2023-12/users", headers=isv.headers)).status_code == 200
    rotated = await post_form(dash, f"{HOME}/api-keys/development/rotate", {}, token)
    assert rotated.status_code == 200
    key = by_id(rotated.text, "new-secret").attrs["value"]
    assert (await dash.get("/2023-12/users", headers=isv.headers)).status_code == 401
    new_key = {"Authorization": f"Bearer {key}"}
    assert (await dash.get("/2023-12/users", headers=new_key)).status_code == 200
    assert (await dash.get("/2023-12/users", headers=isv.production_headers)).status_code == 200
    assert key[:12] in (await dash.get(HOME)).text and key not in (await dash.get(HOME)).text

    assert (await dash.get(f"{HOME}/api-keys/staging/rotate")).status_code == 422
    assert (await post_form(dash, f"{HOME}/api-keys/staging/rotate", {}, token)).status_code == 422
    entries = await rows(database_url, "SELECT action, after_ids FROM audit_entry")
    assert [e["action"] for e in entries if "rotate" in e["action"]] == [
        "webhook_secret.rotate",
        "api_key.rotate",
    ]
    assert secret not in str(entries) and key not in str(entries)


async def test_a_delivery_is_listed_and_redelivered_and_another_isvs_is_a_404(
    dash: AsyncTestClient, settings: Settings, isv: IsvFixture, receiver: Receiver,
    database_url: str,
) -> None:  # fmt: skip
    await installed_user(dash, isv, "gregg")
    receiver.wait_for(1)
    other = await make_isv(settings, "OtherCo", receiver.url, ["http://localhost:9200"])
    await installed_user(dash, other, "olga")
    receiver.wait_for(2)
    [theirs] = (await dash.get("/2023-12/webhooks/deliveries", headers=other.headers)).json()[
        "data"
    ]

    page = await dash.get(HOME)
    ids = re.findall(r"/dashboard/settings/deliveries/([^/]+)/redeliver", page.text)
    assert len(ids) == 1 and "installation" in visible_text(page.text).lower()
    token = await page_token(dash, HOME)
    again = await post_form(dash, f"{HOME}/deliveries/{ids[0]}/redeliver", {}, token)
    assert (again.status_code, again.headers["location"]) == (
        303,
        f"{HOME}?done=redelivered#deliveries",
    )
    sent = receiver.wait_for(3)
    assert sent[0].headers["webhook-id"] == sent[2].headers["webhook-id"]  # the same delivery
    assert [a["action"] for a in await audit_actions(database_url)][-1] == "webhook.redeliver"

    for delivery_id in (theirs["deliveryId"], "not-an-id"):
        refused = await post_form(dash, f"{HOME}/deliveries/{delivery_id}/redeliver", {}, token)
        assert refused.status_code == 404
        assert "belongs to another account" in refused.text
    assert len(receiver.requests) == 3


async def test_signed_out_settings_ask_to_sign_in_and_change_nothing(
    client: AsyncTestClient, isv: IsvFixture
) -> None:
    client.follow_redirects = False
    page = await client.get(HOME)
    assert page.status_code == 303 and page.headers["location"].startswith("/dashboard/sign-in")
    token = await page_token(client)
    for path in (f"{HOME}/webhooks", f"{HOME}/webhook-secret/rotate", f"{HOME}/origins"):
        posted = await post_form(client, path, {"webhook_url": "", "origin": "https://x.io"}, token)
        assert (posted.status_code, posted.headers["location"]) == (303, "/dashboard/sign-in")
    api = (await client.get(API_SETTINGS, headers=isv.headers)).json()
    assert api["webhookUrl"] is not None

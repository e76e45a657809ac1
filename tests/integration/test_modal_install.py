"""The install modal end to end: GET /forge-install, Finish Installation, the webhook.

BigCommerce is a real local server (``tests.support.fake_bigcommerce``); the ISV's
webhook receiver is ``receiver``. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import jwt
import pytest

from install_service.security.credential_crypto import CredentialCipher
from install_service.security.keys import load_keys
from install_service.security.user_tokens import UserTokens
from tests.conftest import IsvFixture
from tests.support.db_rows import as_uuid, count, postgres_text_dump, rows
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.html import by_id, has_id, has_sentence, visible_text
from tests.support.installs import (
    ACCESS_TOKEN,
    STORE_HASH,
    finish_install,
    install_request,
    integration_for,
    new_user,
    send_concurrently,
)
from tests.support.receiver import Receiver
from tests.support.webhooks import settled_deliveries, verify_both

pytestmark = pytest.mark.usefixtures("backend")


def modal_url(integration_id: str, token: str | None = None, **extra: str) -> str:
    query = {"integrationId": integration_id, **({"token": token} if token else {}), **extra}
    return "/forge-install?" + urlencode(query)


async def assert_nothing_installed(
    client, isv: IsvFixture, user_id: str, database_url: str
) -> None:
    integration = await integration_for(client, isv, user_id)
    assert integration["installed"] is False
    assert not any(w["installed"] for w in integration["workflows"])
    for table in ("installation", "credential", "webhook_delivery"):
        assert await count(database_url, table) == 0, table


async def assert_one_webhook_sent(database_url: str, receiver: Receiver) -> None:
    """Exactly one delivery, sent once and settled: the worker has nothing more to send."""
    [delivery] = await settled_deliveries(database_url)
    assert (delivery["status"], delivery["attempt_count"], delivery["attempts"]) == (
        "delivered",
        1,
        1,
    )
    assert len(receiver.wait_for(1)) == 1


async def test_happy_path_installs_and_sends_one_signed_webhook(
    client, isv: IsvFixture, bigcommerce: FakeBigCommerce, receiver: Receiver, database_url: str
) -> None:
    user_id, token = await new_user(client, isv)
    page = await client.get(modal_url(isv.integration_id, token))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors http://localhost:9100" in page.headers["content-security-policy"]
    assert (
        page.headers["referrer-policy"] == "no-referrer"
        and page.headers["cache-control"] == "no-store"
    )
    text = visible_text(page.text)
    assert by_id(page.text, "modal-title").text == "BigCommerce"
    listed = await integration_for(client, isv, user_id)
    for workflow in listed["workflows"]:
        assert workflow["name"] in text
    assert (
        by_id(page.text, "f-storeHash").tag == "input"
        and "Store hash" in text
        and "Access token" in text
    )
    assert "Finish Installation" in text

    done = await finish_install(client, isv.integration_id, token)
    assert done.status_code == 200, done.text
    workflow_ids = [w["workflowId"] for w in listed["workflows"]]
    assert json.loads(done.headers["hx-trigger"]) == {
        "alloy:installed": {"workflowIds": workflow_ids}
    }
    assert "BigCommerce is installed" in visible_text(done.text)

    installed = (
        await client.get(f"/2023-12/integrations?userId={user_id}", headers=isv.headers)
    ).json()["data"]
    assert [i["integrationId"] for i in installed] == [isv.integration_id] and installed[0][
        "installed"
    ] is True
    for workflow in installed[0]["workflows"]:
        assert (
            workflow["installed"],
            workflow["version"],
            workflow["installedVersion"],
            workflow["active"],
        ) == (True, 1, 1, True)

    [call] = bigcommerce.requests
    assert call.method == "GET" and call.path == f"/stores/{STORE_HASH}/v2/store"
    assert call.headers["x-auth-token"] == ACCESS_TOKEN

    [webhook] = receiver.wait_for(1)
    [credential] = await rows(database_url, "SELECT id FROM credential")
    assert json.loads(webhook.body) == {
        "userId": user_id,
        "workflowIds": workflow_ids,
        "integrationId": isv.integration_id,
        "credentials": {"bigcommerce": str(as_uuid(credential["id"]))},
        "success": True,
    }
    public_key = (await client.get("/security/public-key.pem")).content
    verify_both(webhook, receiver.url, isv.webhook_secret, public_key)
    await assert_one_webhook_sent(database_url, receiver)


async def bad_token(
    kind: str, client, isv: IsvFixture, other_isv: IsvFixture, settings, user_id: str, good: str
) -> str | None:
    if kind == "missing":
        return None
    if kind == "expired":
        tokens = UserTokens(load_keys(settings), issuer=settings.public_url)
        return tokens.mint(
            user_id=user_id, isv_id=isv.isv_id, now=datetime.now(UTC) - timedelta(hours=2)
        )
    if kind == "tampered":
        head, body, signature = good.split(".")
        middle = len(signature) // 2
        flipped = "A" if signature[middle] != "A" else "B"
        return f"{head}.{body}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"
    if kind == "alg-none":
        claims = jwt.decode(good, options={"verify_signature": False})
        return jwt.encode(
            claims, None, algorithm="none", headers={"kid": jwt.get_unverified_header(good)["kid"]}
        )
    assert kind == "other-isv"
    _, other_token = await new_user(client, other_isv, "gregg")
    return other_token


EXPECTED_401 = {
    "missing": "opened without a user token",
    "expired": "has expired",
    "tampered": "is not valid",
    "alg-none": "is not valid",
    "other-isv": "not valid for this integration",
}


@pytest.mark.parametrize("kind", list(EXPECTED_401))
async def test_bad_user_tokens_get_a_readable_401_page_and_install_nothing(
    client,
    isv: IsvFixture,
    other_isv: IsvFixture,
    settings,
    database_url: str,
    bigcommerce: FakeBigCommerce,
    kind: str,
) -> None:
    user_id, good = await new_user(client, isv)
    token = await bad_token(kind, client, isv, other_isv, settings, user_id, good)

    page = await client.get(modal_url(isv.integration_id, token))
    posted = await finish_install(client, isv.integration_id, token)
    for response in (page, posted):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("text/html")
        text = visible_text(response.text)
        assert has_sentence(text) and EXPECTED_401[kind] in text, text
        assert "Finish Installation" not in text
    assert bigcommerce.requests == []
    await assert_nothing_installed(client, isv, user_id, database_url)


@pytest.mark.parametrize(
    "integration_id", [str(uuid.uuid4()), "not-an-id"], ids=["unknown-uuid", "not-an-id"]
)
async def test_unknown_integration_is_a_404_page_and_creates_nothing(
    client, isv: IsvFixture, database_url: str, bigcommerce: FakeBigCommerce, integration_id: str
) -> None:
    user_id, token = await new_user(client, isv)
    page = await client.get(modal_url(integration_id, token))
    posted = await finish_install(client, integration_id, token)
    for response in (page, posted):
        assert response.status_code == 404 and response.headers["content-type"].startswith(
            "text/html"
        )
        assert "could not find this integration" in visible_text(response.text)
    assert bigcommerce.requests == []
    await assert_nothing_installed(client, isv, user_id, database_url)


@pytest.mark.parametrize(
    ("empty", "kept", "message"),
    [
        ("accessToken", "storeHash", "Access token is required."),
        ("storeHash", "accessToken", "Store hash is required."),
    ],
)
async def test_empty_required_field_is_422_with_an_inline_message_and_no_connection_attempt(
    client,
    isv: IsvFixture,
    database_url: str,
    bigcommerce: FakeBigCommerce,
    receiver: Receiver,
    empty: str,
    kept: str,
    message: str,
) -> None:
    user_id, token = await new_user(client, isv)
    response = await finish_install(client, isv.integration_id, token, **{empty: "  "})
    assert response.status_code == 422
    field, error = by_id(response.text, f"f-{empty}"), by_id(response.text, f"e-{empty}")
    assert (
        field.attrs.get("aria-invalid") == "true"
        and f"e-{empty}" in field.attrs["aria-describedby"]
    )
    assert error.text == message and "hidden" not in error.attrs
    assert "aria-invalid" not in by_id(response.text, f"f-{kept}").attrs
    if kept == "storeHash":
        assert (
            by_id(response.text, "f-storeHash").attrs["value"] == STORE_HASH
        )  # what was typed stays
    assert "Finish Installation" in visible_text(response.text)
    assert bigcommerce.requests == []
    await assert_nothing_installed(client, isv, user_id, database_url)
    assert receiver.requests == []


async def test_refused_connection_is_422_with_bigcommerces_reason_and_no_webhook(
    client, isv: IsvFixture, database_url: str, bigcommerce: FakeBigCommerce, receiver: Receiver
) -> None:
    bigcommerce.refuse("Invalid token for this store")
    user_id, token = await new_user(client, isv)
    response = await finish_install(client, isv.integration_id, token)
    assert response.status_code == 422
    summary = by_id(response.text, "form-summary").text
    assert "BigCommerce said: 401" in summary and "Invalid token for this store" in summary
    assert ACCESS_TOKEN not in response.text
    assert len(bigcommerce.requests) == 1  # the connection test did run
    await assert_nothing_installed(client, isv, user_id, database_url)  # no delivery queued
    assert receiver.requests == []


async def test_already_installed_shows_so_and_a_second_finish_installs_nothing_more(
    client, isv: IsvFixture, database_url: str, bigcommerce: FakeBigCommerce, receiver: Receiver
) -> None:
    _, token = await new_user(client, isv)
    assert (await finish_install(client, isv.integration_id, token)).status_code == 200
    receiver.wait_for(1)

    page = await client.get(modal_url(isv.integration_id, token))
    assert page.status_code == 200
    assert "BigCommerce is already installed" in visible_text(page.text)
    assert not has_id(page.text, "install-form") and "Finish Installation" not in page.text
    again = await finish_install(client, isv.integration_id, token, accessToken="another-token")
    assert again.status_code == 200 and "already installed" in visible_text(again.text)
    assert "hx-trigger" not in again.headers

    forced = await client.get(modal_url(isv.integration_id, token, alwaysShowAuthentication="true"))
    assert forced.status_code == 200 and has_id(forced.text, "install-form")
    assert "Finish Installation" in visible_text(forced.text)

    assert len(bigcommerce.requests) == 1
    assert await count(database_url, "installation") == 1
    await assert_one_webhook_sent(database_url, receiver)


async def test_finish_clicked_twice_at_once_installs_once_and_sends_one_webhook(
    client, isv: IsvFixture, database_url: str, bigcommerce: FakeBigCommerce, receiver: Receiver
) -> None:
    bigcommerce.default = replace(
        bigcommerce.default, delay_s=0.5
    )  # both clicks pass the checks first
    user_id, token = await new_user(client, isv)
    request = install_request(client, isv.integration_id, token)
    responses = await send_concurrently(
        client, [request, install_request(client, isv.integration_id, token)]
    )
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    assert len(bigcommerce.requests) == 2  # the two clicks really did race

    integration = await integration_for(client, isv, user_id)
    assert integration["installed"] is True
    assert await count(database_url, "installation") == 1
    assert await count(database_url, "installed_workflow") == len(integration["workflows"])
    await assert_one_webhook_sent(database_url, receiver)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG, also hearing the loggers that don't propagate to root (litestar's)."""
    caplog.set_level(logging.DEBUG)
    quiet = [
        lg
        for lg in logging.root.manager.loggerDict.values()
        if isinstance(lg, logging.Logger) and not lg.propagate
    ]
    for logger in quiet:
        logger.addHandler(caplog.handler)
    yield caplog
    for logger in quiet:
        logger.removeHandler(caplog.handler)


SECRET = "SECRET-abc123-never-leak"
VISIBLE_STORE = (
    "leakcheck7"  # stored in clear on purpose: proves the search looks in the right place
)


async def test_access_token_never_leaks_and_is_stored_encrypted(
    client,
    isv: IsvFixture,
    settings,
    database_url: str,
    backend: str,
    receiver: Receiver,
    all_logs: pytest.LogCaptureFixture,
) -> None:
    user_id, token = await new_user(client, isv)
    responses = [await client.get(modal_url(isv.integration_id, token))]
    responses.append(
        await finish_install(
            client, isv.integration_id, token, storeHash=VISIBLE_STORE, accessToken=SECRET
        )
    )
    assert responses[-1].status_code == 200
    responses.append(
        await client.get(f"/2023-12/integrations?userId={user_id}", headers=isv.headers)
    )
    [webhook] = receiver.wait_for(1)

    for response in responses:
        assert SECRET not in response.text and SECRET not in str(response.headers)
    assert SECRET not in webhook.body.decode() and SECRET not in str(webhook.headers)
    logged = [record.__dict__ for record in all_logs.records]
    assert any(  # the install was logged...
        line.get("path") == "/forge-install/install" and line.get("status") == 200
        for line in logged
    )
    assert SECRET not in all_logs.text and SECRET not in str(logged)  # ...without its token

    if backend == "sqlite":
        db_file = Path(database_url.split(":///", 1)[1])
        stored = [
            p.read_bytes()
            for p in (db_file, db_file.with_name(db_file.name + "-wal"))
            if p.exists()
        ]
    else:
        stored = await postgres_text_dump(database_url)
    assert any(VISIBLE_STORE.encode() in blob for blob in stored)
    assert not any(
        SECRET.encode() in blob or SECRET.encode().hex().encode() in blob for blob in stored
    )

    [row] = await rows(
        database_url, "SELECT id, isv_id, user_id, key_id, ciphertext FROM credential"
    )
    cipher = CredentialCipher(load_keys(settings).credential_keys)
    opened = cipher.open(
        row["key_id"],
        bytes(row["ciphertext"]),
        isv_id=str(as_uuid(row["isv_id"])),
        user_id=str(as_uuid(row["user_id"])),
        credential_id=str(as_uuid(row["id"])),
    )
    assert opened == {"accessToken": SECRET}

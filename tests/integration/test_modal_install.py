"""The install modal end to end: GET /forge-install, Finish Installation, the webhook.

BigCommerce is a real local server (``tests.support.fake_bigcommerce``); the ISV's
webhook receiver is ``receiver``. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from install_service.security.credential_crypto import CredentialCipher
from install_service.security.keys import load_keys
from install_service.security.user_tokens import UserTokens
from tests.conftest import IsvFixture
from tests.support.db_rows import as_uuid, count, postgres_text_dump, rows
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.html import by_id, has_id, has_sentence, visible_text
from tests.support.installs import (  # noqa: F401  (app, bigcommerce: fixtures)
    ACCESS_TOKEN, STORE_HASH, app, bigcommerce, finish_install, install_request, integration_for,
    modal_settings, new_user, send_concurrently,
)
from tests.support.receiver import Receiver
from tests.support.webhooks import verify_both

pytestmark = pytest.mark.usefixtures("backend")


def modal_url(integration_id: str, token: str | None = None, **extra: str) -> str:
    query = {"integrationId": integration_id, **({"token": token} if token else {}), **extra}
    return "/forge-install?" + "&".join(f"{k}={v}" for k, v in query.items())


async def assert_nothing_installed(client, isv: IsvFixture, user_id: str, database_url: str) -> None:
    integration = await integration_for(client, isv, user_id)
    assert integration["installed"] is False
    assert not any(w["installed"] for w in integration["workflows"])
    for table in ("installation", "credential", "webhook_delivery"):
        assert await count(database_url, table) == 0, table


async def test_happy_path_installs_and_sends_one_signed_webhook(client, isv: IsvFixture, bigcommerce: FakeBigCommerce, receiver: Receiver) -> None:
    user_id, token = await new_user(client, isv)
    page = await client.get(modal_url(isv.integration_id, token))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors http://localhost:9100" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    text = visible_text(page.text)
    assert by_id(page.text, "modal-title").text == "BigCommerce"
    listed = await integration_for(client, isv, user_id)
    for workflow in listed["workflows"]:
        assert workflow["name"] in text
    assert by_id(page.text, "f-storeHash").tag == "input" and "Store hash" in text and "Access token" in text
    assert "Finish Installation" in text

    done = await finish_install(client, isv.integration_id, token)
    assert done.status_code == 200, done.text
    workflow_ids = [w["workflowId"] for w in listed["workflows"]]
    assert json.loads(done.headers["hx-trigger"]) == {"alloy:installed": {"workflowIds": workflow_ids}}
    assert "BigCommerce is installed" in visible_text(done.text)

    installed = (await client.get(f"/2023-12/integrations?userId={user_id}", headers=isv.headers)).json()["data"]
    assert [i["integrationId"] for i in installed] == [isv.integration_id] and installed[0]["installed"] is True
    for workflow in installed[0]["workflows"]:
        assert (workflow["installed"], workflow["version"], workflow["installedVersion"], workflow["active"]) == (True, 1, 1, True)

    [call] = bigcommerce.requests
    assert call.method == "GET" and call.path == f"/stores/{STORE_HASH}/v2/store"
    assert call.headers["x-auth-token"] == ACCESS_TOKEN

    [webhook] = receiver.wait_for(1)
    [credential] = await rows(client.app.state.database_url if False else isv_db(client), "SELECT id FROM credential")
    assert json.loads(webhook.body) == {
        "userId": user_id, "workflowIds": workflow_ids, "integrationId": isv.integration_id,
        "credentials": {"bigcommerce": str(as_uuid(credential["id"]))}, "success": True,
    }
    public_key = (await client.get("/security/public-key.pem")).content
    verify_both(webhook, receiver.url, isv.webhook_secret, public_key)
    time.sleep(1.0)
    assert len(receiver.requests) == 1

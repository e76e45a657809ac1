"""Alloy Link: generating install links and installing through the hosted page."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import text

from install_service.db.config import sqlalchemy_config
from tests.conftest import HOST_ORIGIN, IsvFixture, make_isv
from tests.support.db_rows import count
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH, new_user
from tests.support.processes import ServiceProcess, free_port, service_env
from tests.support.receiver import Receiver
from tests.support.webhooks import settled_deliveries

pytestmark = pytest.mark.usefixtures("backend")


async def _link(client, isv: IsvFixture, **query: str) -> tuple[str, str, dict]:
    user_id, _ = await new_user(client, isv)
    response = await client.get(
        f"/2023-12/users/{user_id}/integrations/{isv.integration_id}/install-url",
        params=query,
        headers=isv.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return user_id, parse_qs(urlsplit(body["url"]).query)["token"][0], body


def _finish(client, token: str, access_token: str = ACCESS_TOKEN):
    return client.post(
        "/embedded-install/install",
        data={"token": token, "storeHash": STORE_HASH, "accessToken": access_token},
    )


async def test_link_url_uses_public_url_and_defaults_to_seven_days(client, isv: IsvFixture) -> None:
    _, _, body = await _link(client, isv)
    assert body["url"].startswith("http://testserver.local/embedded-install?integrationId=")
    assert body["linkId"] and body["expiresAt"].endswith("Z")
    evil = await client.get(
        f"/install-url?userId=gregg&integrationId={isv.integration_id}".replace(
            "/install", "/2023-12/install"
        ),
        headers=isv.headers | {"host": "evil.example"},
    )
    assert evil.json()["url"].startswith("http://testserver.local/")


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"expiresIn": str(31 * 86400)}, "expiresIn"),
        ({"redirectUrl": "https://evil.example/x"}, "redirectUrl"),
    ],
)
async def test_bad_link_options_are_422(
    client, isv: IsvFixture, query: dict, fragment: str
) -> None:
    user_id, _ = await new_user(client, isv)
    response = await client.get(
        f"/2023-12/users/{user_id}/integrations/{isv.integration_id}/install-url",
        params=query,
        headers=isv.headers,
    )
    assert response.status_code == 422 and fragment in response.json()["message"]


async def test_opening_changes_nothing_then_one_completion_then_already_used(
    client, settings, isv: IsvFixture, receiver: Receiver
) -> None:
    user_id, token, _ = await _link(client, isv, redirectUrl=HOST_ORIGIN + "/done")
    for method in ("GET", "GET", "HEAD"):
        page = await client.request(
            method,
            "/embedded-install",
            params={"integrationId": isv.integration_id, "token": token},
        )
        assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert (
        page.headers["referrer-policy"] == "no-referrer"
        and page.headers["cache-control"] == "no-store"
    )
    links = (await client.get(f"/2023-12/users/{user_id}/links", headers=isv.headers)).json()[
        "data"
    ]
    assert [link["status"] for link in links] == ["pending"]

    landing = (await client.get("/embedded-install", params={"token": token})).text
    assert "AcmeCo" in landing and "BigCommerce" in landing and "Continue" in landing
    form = await client.post("/embedded-install/continue", data={"token": token})
    assert "Finish Installation" in form.text and "Store hash" in form.text
    done = await _finish(client, token)
    assert (
        done.status_code == 200
        and "is installed" in done.text
        and HOST_ORIGIN + "/done" in done.text
    )
    receiver.wait_for(1)

    again = await _finish(client, token)
    assert again.status_code == 410 and "already used" in again.text
    reopened = await client.get("/embedded-install", params={"token": token})
    assert reopened.status_code == 410 and "already used" in reopened.text
    assert await count(settings.database_url, "installation") == 1
    listing = (
        await client.get(f"/2023-12/integrations?userId={user_id}", headers=isv.headers)
    ).json()["data"][0]
    assert listing["installed"] is True
    assert [
        link["status"]
        for link in (
            await client.get(f"/2023-12/users/{user_id}/links", headers=isv.headers)
        ).json()["data"]
    ] == ["completed"]


@pytest.fixture
def served(
    tmp_path: Path, database_url: str, bigcommerce: FakeBigCommerce, receiver: Receiver
) -> Iterator[str]:
    """``install-service serve`` (a real uvicorn process) on the test database; its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(tmp_path / "served"),
            "INSTALL_SERVICE_DATABASE_URL": database_url,
            "INSTALL_SERVICE_PUBLIC_URL": url,
            "INSTALL_SERVICE_BIGCOMMERCE_API_BASE": bigcommerce.api_base,
            "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true",
            "INSTALL_SERVICE_WEBHOOK_RETRY_SCHEDULE": "0.2,0.4",
        }
    )
    process = ServiceProcess(
        ["serve", "--host", "127.0.0.1", "--port", str(port)], env, url, tmp_path / "serve.log"
    ).start()
    yield url
    process.stop()


async def test_64_concurrent_completions_of_one_link_make_exactly_one_installation(
    served: str, settings, receiver: Receiver
) -> None:
    isv = await make_isv(settings, "AcmeCo", receiver.url)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=served, limits=limits, timeout=30) as http:
        _, token, _ = await _link(http, isv)
        # 64 connections open first, so that the 64 POSTs leave together.
        await asyncio.gather(*(http.get("/health") for _ in range(64)))
        responses = await asyncio.gather(*(_finish(http, token) for _ in range(64)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1 and statuses.count(410) == 63, statuses
    assert await count(settings.database_url, "installation") == 1
    [delivery] = await settled_deliveries(settings.database_url)
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 1)
    assert len(receiver.wait_for(1)) == 1


async def test_expired_revoked_tampered_and_foreign_tokens_are_refused(
    client, settings, isv: IsvFixture
) -> None:
    _, token, body = await _link(client, isv, expiresIn="60")
    revoked_user_token = token
    assert (
        await client.delete(f"/2023-12/links/{body['linkId']}", headers=isv.headers)
    ).json() == {"success": True}
    page = await client.get("/embedded-install", params={"token": revoked_user_token})
    assert page.status_code == 410 and "withdrawn" in page.text

    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert (await client.get("/embedded-install", params={"token": tampered})).status_code == 400
    other_purpose = URLSafeTimedSerializer(settings.var_dir.name, salt="something-else").dumps(
        body["linkId"]
    )
    assert (
        await client.get("/embedded-install", params={"token": other_purpose})
    ).status_code == 400
    assert (
        await client.post("/embedded-install/install", data={"token": tampered})
    ).status_code == 400
    assert await count(settings.database_url, "installation") == 0


async def test_a_link_past_its_expiry_is_refused_naming_the_isv(
    client, settings, isv: IsvFixture
) -> None:
    """The clock is moved past ``expiresAt`` by moving the row's expiry into the past."""
    _, token, _ = await _link(client, isv, expiresIn="3600")
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            await session.execute(text("UPDATE install_link SET expires_at = created_at"))
            await session.commit()
    finally:
        await config.get_engine().dispose()
    page = await client.get("/embedded-install", params={"token": token})
    assert page.status_code == 410 and "expired, ask AcmeCo for a new link" in page.text
    finish = await _finish(client, token)
    assert finish.status_code == 410
    assert await count(settings.database_url, "installation") == 0

"""The real server's log never holds a secret: not a user JWT, an install-link token, an
API key, a webhook secret or a credential value, valid or not, sent in a query string, a
header or a body. The access log names the route and a short id of the credential."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from install_service.http.access_log import token_id
from tests.conftest import IsvFixture, make_isv
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH
from tests.support.processes import ServiceProcess, free_port, service_env
from tests.support.receiver import Receiver
from tests.support.runtime import EVENT, order_event

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # the log is the same on any database
WEBHOOK_URL_SECRET = "hook-key-" + secrets.token_urlsafe(16)  # an ISV may put one in its URL


@pytest.fixture
async def isv(settings, receiver: Receiver) -> IsvFixture:
    """AcmeCo, whose webhook URL carries a secret in its query string."""
    return await make_isv(settings, "AcmeCo", f"{receiver.url}?key={WEBHOOK_URL_SECRET}")


@pytest.fixture
def service(
    settings, isv: IsvFixture, bigcommerce: FakeBigCommerce, tmp_path: Path
) -> Iterator[ServiceProcess]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(tmp_path / "service-var"),
            "INSTALL_SERVICE_DATABASE_URL": settings.database_url,
            "INSTALL_SERVICE_PUBLIC_URL": url,
            "INSTALL_SERVICE_BIGCOMMERCE_API_BASE": bigcommerce.api_base,
            "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver is on 127.0.0.1
        }
    )
    process = ServiceProcess(["serve", "--port", str(port)], env, url, tmp_path / "service.log")
    yield process.start()
    process.stop()


def logged(log: Path, timeout_s: float = 10.0, **fields: object) -> dict:
    """The first JSON line of ``log`` (``serve`` logs JSON) holding every one of ``fields``,
    once the server wrote it."""
    deadline = time.monotonic() + timeout_s
    while True:
        for line in log.read_text().splitlines():
            entry = json.loads(line) if line.startswith("{") else {}
            if all(entry.get(name) == value for name, value in fields.items()):
                return entry
        if time.monotonic() > deadline:
            raise AssertionError(f"no log line with {fields}:\n{log.read_text()}")
        time.sleep(0.05)


def fake(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(24)


async def test_no_secret_reaches_the_log_and_each_request_is_logged_by_route_and_id(
    service: ServiceProcess, isv: IsvFixture, bigcommerce: FakeBigCommerce, receiver: Receiver
) -> None:
    forged_jwt = "eyJhbGciOiJFZERTQSJ9." + fake("eyJzdWIiOiJ4In0") + "." + fake("sig")
    wrong_key, wrong_link = fake("isk_dev_"), fake("link.")
    wrong_access_token = fake("bc-wrong-")
    async with httpx.AsyncClient(base_url=service.url, headers=isv.headers) as api:
        user_id = (await api.post("/2023-12/users", json={"username": "gregg"})).json()["userId"]
        jwt = (await api.get(f"/2023-12/users/{user_id}/token")).json()["token"]
        link = (
            await api.get(f"/2023-12/users/{user_id}/integrations/{isv.integration_id}/install-url")
        ).json()["url"]
        link_token = urlsplit(link).query.rpartition("token=")[2]
        new_secret = (await api.post("/2023-12/webhooks/secret/rotate")).json()["webhookSecret"]
        good = {
            "app": "bigcommerce",
            "data": {"storeHash": STORE_HASH, "accessToken": ACCESS_TOKEN},
        }
        assert (
            await api.post(f"/2023-12/users/{user_id}/credentials", json=good)
        ).status_code == 201
        installed = await api.post(
            "/forge-install/install",
            data={"integrationId": isv.integration_id, **good["data"]},
            headers={"Authorization": "", "x-alloy-user-token": jwt},
        )
        assert installed.status_code == 200, installed.text
        [webhook] = receiver.wait_for(1)  # sent to the URL with its secret
        assert WEBHOOK_URL_SECRET in webhook.path
        event = {"event": EVENT, "userId": user_id, "data": order_event()}
        [execution_id] = (await api.post("/2023-12/run/event", json=event)).json()["executionIds"]
        run = logged(service.log_path, event="execution finished", execution_id=execution_id)
        assert run["isv_id"] == isv.isv_id and run["workflow_id"] and run["status"]
        bigcommerce.refuse()
        bad = {
            "app": "bigcommerce",
            "data": {"storeHash": STORE_HASH, "accessToken": wrong_access_token},
        }
        assert (
            await api.post(f"/2023-12/users/{user_id}/credentials", json=bad)
        ).status_code == 422

        anonymous = {"Authorization": ""}
        modal = {"integrationId": isv.integration_id}
        for token in (jwt, forged_jwt):
            await api.get("/forge-install", params=modal | {"token": token}, headers=anonymous)
            await api.get(
                "/2024-03/integrations", headers=anonymous | {"x-alloy-user-token": token}
            )
            await api.get("/2024-03/workflows", params={"token": token}, headers=anonymous)
        for token in (link_token, wrong_link):
            await api.get("/embedded-install", params=modal | {"token": token}, headers=anonymous)
        unknown = await api.get("/no-such-page", params={"token": jwt, "apiKey": isv.api_key})
        assert unknown.status_code == 404
        await api.get("/2023-12/users", headers={"Authorization": f"Bearer {wrong_key}"})
        last = f"/last-request-{secrets.token_hex(4)}"
        await api.get(last, headers=anonymous)

    log = service.log_path
    logged(log, event="request", path=last)  # the server logged every request above
    text = log.read_text()
    for name, value in {
        "API key": isv.api_key,
        "wrong API key": wrong_key,
        "user JWT": jwt,
        "user JWT signature": jwt.rpartition(".")[2],
        "forged JWT": forged_jwt,
        "install-link token": link_token,
        "wrong link token": wrong_link,
        "webhook secret": isv.webhook_secret,
        "rotated webhook secret": new_secret,
        "credential value": ACCESS_TOKEN,
        "webhook URL secret": WEBHOOK_URL_SECRET,
        "wrong credential value": wrong_access_token,
    }.items():
        assert value not in text, f"the {name} is in the server log"

    assert "?" not in text.partition("Application startup complete")[2]  # no query string at all
    every = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert every and all({"event", "level", "timestamp"} <= entry.keys() for entry in every)
    assert all(line.startswith("{") for line in text.splitlines()), "one JSON object a line"
    for path, status, credential, token in (
        ("/forge-install", 200, "query_token", jwt),
        ("/forge-install", 401, "query_token", forged_jwt),
        ("/2024-03/integrations", 200, "user_token", jwt),
        ("/2024-03/integrations", 401, "user_token", forged_jwt),
        ("/embedded-install", 200, "query_token", link_token),
        ("/no-such-page", 404, "query_token", jwt),
        ("/2023-12/users", 401, "api_key", wrong_key),
    ):
        entry = logged(
            log, event="request", path=path, status=status, **{credential: token_id(token)}
        )
        assert entry["method"] == "GET" and len(entry["request_id"]) == 32
    credentials = logged(
        log, event="request", route="/2023-12/users/{user_ref}/credentials", status=422
    )
    assert credentials["api_key"] == token_id(isv.api_key)
    assert credentials["path"] == f"/2023-12/users/{user_id}/credentials"
    assert "route" not in logged(log, event="request", path="/no-such-page")


async def test_request_ids_are_echoed_and_tie_a_request_s_lines(service: ServiceProcess) -> None:
    async with httpx.AsyncClient(base_url=service.url) as client:
        mine = await client.get("/health", headers={"X-Request-Id": "lb-7f3a.1_x"})
        fresh = await client.get("/health")
        forged = await client.get("/health", headers={"X-Request-Id": 'bad id "} {'})
    assert mine.headers["x-request-id"] == "lb-7f3a.1_x"
    assert len(fresh.headers["x-request-id"]) == 32
    assert forged.headers["x-request-id"] not in ('bad id "} {', fresh.headers["x-request-id"])
    entry = logged(service.log_path, event="request", request_id="lb-7f3a.1_x")
    assert entry["route"] == "/health" and entry["status"] == 200

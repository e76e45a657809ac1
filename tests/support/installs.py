"""Installing through the modal as an end user would, against the fake BigCommerce that
conftest's ``bigcommerce`` fixture starts (every test ``app`` sends its calls there)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from tests.conftest import IsvFixture

STORE_HASH = "abc123"
ACCESS_TOKEN = "bc-access-token-1"


async def new_user(
    client: AsyncTestClient, isv: IsvFixture, username: str = "gregg"
) -> tuple[str, str]:
    """Create an end user through the ISV API; returns (userId, user JWT)."""
    created = await client.post("/2023-12/users", json={"username": username}, headers=isv.headers)
    assert created.status_code == 201, created.text
    user_id = created.json()["userId"]
    token = (await client.get(f"/2023-12/users/{user_id}/token", headers=isv.headers)).json()[
        "token"
    ]
    return user_id, token


def install_request(
    client: AsyncTestClient,
    integration_id: str,
    token: str | None,
    *,
    store_hash: str = STORE_HASH,
    access_token: str = ACCESS_TOKEN,
    **extra: str,
) -> httpx.Request:
    """The POST the modal's Finish Installation button makes (form-urlencoded, token header)."""
    headers = {"x-alloy-user-token": token} if token is not None else {}
    data = {
        "integrationId": integration_id,
        "storeHash": store_hash,
        "accessToken": access_token,
        **extra,
    }
    return client.build_request("POST", "/forge-install/install", data=data, headers=headers)


async def finish_install(
    client: AsyncTestClient, integration_id: str, token: str | None, **fields: str
) -> httpx.Response:
    return await client.send(install_request(client, integration_id, token, **fields))


async def send_concurrently(
    client: AsyncTestClient, requests: list[httpx.Request]
) -> list[httpx.Response]:
    """Send ``requests`` so that they reach the app at the same time.

    AsyncTestClient hands each request to the app's own event loop through a blocking
    anyio portal, which blocks the caller's loop: ``asyncio.gather`` of plain
    ``client.send`` calls would run them one after the other. Each goes from its own
    thread (and loop) here, through the same portal, so the app serves them together.
    """

    def send(request: httpx.Request) -> httpx.Response:
        return asyncio.run(client.send(request))

    return list(await asyncio.gather(*(asyncio.to_thread(send, r) for r in requests)))


async def integration_for(client: AsyncTestClient, isv: IsvFixture, user_id: str) -> dict[str, Any]:
    """The example integration as ``GET /integrations?userId=`` shows it to the ISV."""
    response = await client.get(
        f"/2023-12/integrations/{isv.integration_id}?userId={user_id}", headers=isv.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout_s: float = 10.0, interval_s: float = 0.05
) -> Any:
    """Poll ``check`` until it returns something truthy; returns that (raises on timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s} s (last: {result!r})")
        await asyncio.sleep(interval_s)
